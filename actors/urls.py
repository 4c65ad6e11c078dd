from django.urls import path

from actors import views

app_name = "actors"
urlpatterns = [
    path("", views.ActorListView.as_view(), name="list"),
    path("referencer/", views.ActorProposalView.as_view(), name="propose"),
    path("referencer/merci/", views.ActorProposalThanksView.as_view(), name="proposal_thanks"),
]
