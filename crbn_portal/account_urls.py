"""The user's own account, mounted at account/."""

from django.urls import path

from . import account_views as views

urlpatterns = [
    path("", views.account, name="account"),
    path("tokens/", views.token_create, name="account-token-create"),
    path("tokens/<uuid:uuid>/revoke/", views.token_revoke, name="account-token-revoke"),
]
