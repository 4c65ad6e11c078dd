from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("", views.EventListView.as_view(), name="list"),
    path("agenda.ics", views.EventFeedCalendarView.as_view(), name="calendar"),
    path("export.csv", views.EventExportView.as_view(file_format="csv"), name="export_csv"),
    path("export.json", views.EventExportView.as_view(file_format="json"), name="export_json"),
    path("flux.atom", views.EventAtomFeed(), name="feed"),
    path("<slug:slug>/", views.EventDetailView.as_view(), name="detail"),
    path("<slug:slug>.ics", views.EventCalendarView.as_view(), name="ics"),
]
