"""Tumour boards, mounted at boards/: meetings, their agenda, packet exports and decisions."""

from django.urls import path

from . import board_views as views

app_name = "board"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("new/", views.meeting_create, name="create"),
    path("<uuid:uuid>/", views.meeting_detail, name="meeting"),
    path("<uuid:uuid>/edit/", views.meeting_edit, name="edit"),
    path("<uuid:uuid>/agenda/", views.agenda_add, name="agenda_add"),
    path("<uuid:uuid>/export/", views.packet_export, name="export"),
    path("item/<uuid:uuid>/", views.item_edit, name="item"),
    path("item/<uuid:uuid>/move/", views.agenda_move, name="move"),
    path("item/<uuid:uuid>/remove/", views.agenda_remove, name="remove"),
    path("item/<uuid:uuid>/decision/", views.decision_record, name="decision"),
    path("item/<uuid:uuid>/decision/line/", views.decision_link_line, name="link_line"),
    path("packet/<uuid:uuid>/status/", views.export_status, name="export_status"),
    path("packet/<uuid:uuid>/pdf/", views.export_pdf, name="export_pdf"),
]
