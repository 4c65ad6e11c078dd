"""The embeddable widget's routes (/integrer/…), see essdir/widget.py."""

from django.urls import path

from essdir import widget

app_name = "widget"

urlpatterns = [
    # Before the collectivités' routes: "territoire" is not a collectivité.
    path("territoire/<str:slug>/", widget.TerritoryWidgetView.as_view(), name="territory"),
    path("territoire/<str:slug>/code/", widget.TerritoryCodeView.as_view(), name="territory_code"),
    path("<slug:slug>/", widget.CollectiviteWidgetView.as_view(), name="collectivite"),
    path("<slug:slug>/code/", widget.CollectiviteCodeView.as_view(), name="collectivite_code"),
]
