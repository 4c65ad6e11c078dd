from django.urls import path

from support import views

app_name = "support"
urlpatterns = [
    *(
        path(
            f"accompagnement/export.{suffix}",
            views.ServiceExportView.as_view(file_format=suffix),
            name=f"export_{suffix}",
        )
        for suffix in ("csv", "json")
    ),
    *(
        path(
            f"accompagnement/structures/export.{suffix}",
            views.StructureExportView.as_view(file_format=suffix),
            name=f"structure_export_{suffix}",
        )
        for suffix in ("csv", "json")
    ),
]
