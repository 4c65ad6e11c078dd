from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("", views.EventListView.as_view(), name="list"),
    path("agenda.ics", views.EventFeedCalendarView.as_view(), name="calendar"),
    path("flux.atom", views.EventAtomFeed(), name="feed"),
    path("<slug:slug>/", views.EventDetailView.as_view(), name="detail"),
    path("<slug:slug>.ics", views.EventCalendarView.as_view(), name="ics"),
]
