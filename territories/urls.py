from django.urls import path

from territories import views

app_name = "territories"
urlpatterns = [
    path("collectivites/", views.CollectiviteListView.as_view(), name="collectivite_list"),
    path("territoires/", views.TerritoryListView.as_view(), name="territory_list"),
    path(
        "territoires/suggestions/",
        views.TerritorySuggestionsView.as_view(),
        name="suggestions",
    ),
    path("dispositifs/", views.SchemeListView.as_view(), name="scheme_list"),
    path("contacts/", views.ContactFinderView.as_view(), name="contact_finder"),
]
