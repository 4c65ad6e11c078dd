from django.urls import path

from territories import views

app_name = "territories"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("recherche/", views.SearchView.as_view(), name="search"),
    path("collectivites/", views.CollectiviteListView.as_view(), name="collectivite_list"),
    path(
        "collectivites/<slug:slug>/",
        views.CollectiviteDetailView.as_view(),
        name="collectivite",
    ),
    path("territoires/", views.TerritoryListView.as_view(), name="territory_list"),
    path("territoires/<str:slug>/", views.TerritoryDetailView.as_view(), name="detail"),
    path("dispositifs/", views.SchemeListView.as_view(), name="scheme_list"),
    path("dispositifs/<slug:slug>/", views.SchemeDetailView.as_view(), name="scheme"),
    path("contacts/", views.ContactFinderView.as_view(), name="contact_finder"),
]
