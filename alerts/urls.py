from django.urls import path

from alerts import views

app_name = "alerts"
urlpatterns = [
    path("creer/", views.AlertCreateView.as_view(), name="create"),
    path("creer/envoye/", views.AlertSentView.as_view(), name="sent"),
    path("confirmer/<slug:token>/", views.AlertConfirmView.as_view(), name="confirm"),
    path("gerer/<slug:token>/", views.AlertManageView.as_view(), name="manage"),
    path("desabonner/<slug:token>/", views.AlertUnsubscribeView.as_view(), name="unsubscribe"),
    path("desabonnement/", views.AlertUnsubscribedView.as_view(), name="unsubscribed"),
]
