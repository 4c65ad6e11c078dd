from django.urls import path

from territories import views

app_name = "territories"
urlpatterns = [
    path("collectivites/", views.CollectiviteListView.as_view(), name="collectivite_list"),
    path(
        "collectivites/budgets/",
        views.BudgetComparisonView.as_view(),
        name="budget_comparison",
    ),
    path("territoires/", views.TerritoryListView.as_view(), name="territory_list"),
    path(
        "territoires/suggestions/",
        views.TerritorySuggestionsView.as_view(),
        name="suggestions",
    ),
    path("dispositifs/", views.SchemeListView.as_view(), name="scheme_list"),
    *(
        path(f"{prefix}/export.{suffix}", view.as_view(file_format=suffix), name=f"{name}_{suffix}")
        for prefix, view, name in (
            ("collectivites", views.CollectiviteExportView, "collectivite_export"),
            ("dispositifs", views.SchemeExportView, "scheme_export"),
        )
        for suffix in ("csv", "json")
    ),
    path("contacts/", views.ContactFinderView.as_view(), name="contact_finder"),
]
