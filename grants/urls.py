from django.urls import path

from grants import views

app_name = "grants"
urlpatterns = [
    path(
        "collectivites/subventions/",
        views.GrantComparisonView.as_view(),
        name="comparison",
    ),
    *(
        path(
            f"collectivites/subventions/export.{suffix}",
            views.GrantExportView.as_view(file_format=suffix),
            name=f"export_{suffix}",
        )
        for suffix in ("csv", "json")
    ),
]
