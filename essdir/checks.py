"""Deployment checks of our own, run by `manage.py check --deploy` and at WSGI start-up."""

from django.conf import settings
from django.core.checks import Error, Tags, register

E001 = "essdir.E001"


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG or settings.SECRET_KEY_FROM_ENV:
        return []
    return [
        Error(
            "SECRET_KEY is not set: the site cannot be served with DEBUG off.",
            hint="Set the SECRET_KEY environment variable to a long random string.",
            id=E001,
        )
    ]
