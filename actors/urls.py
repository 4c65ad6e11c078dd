from django.urls import path

from actors import views

app_name = "actors"
urlpatterns = [
    path("", views.ActorListView.as_view(), name="list"),
    path("export.csv", views.ActorExportView.as_view(file_format="csv"), name="export_csv"),
    path("export.json", views.ActorExportView.as_view(file_format="json"), name="export_json"),
    path("carte.geojson", views.ActorMapView.as_view(), name="map_geojson"),
    path("referencer/", views.ActorProposalView.as_view(), name="propose"),
    path("referencer/merci/", views.ActorProposalThanksView.as_view(), name="proposal_thanks"),
]
