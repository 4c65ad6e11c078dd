"""System checks of our own: the secret key (`check --deploy`, WSGI start-up), the site's
public address (`check --deploy`), and an ownership rule for every model the back-office
scopes (every start-up)."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

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


E003 = "essdir.E003"


@register(Tags.security, deploy=True)
def site_url_is_ours(app_configs=None, **kwargs) -> list[Error]:
    """SITE_URL, the address of the widget's snippets and the alerts' links, is an https://
    address of a host in ALLOWED_HOSTS (its default, https:// + the first of them, is not
    when that one is a wildcard)."""
    from urllib.parse import urlsplit

    from django.http.request import split_domain_port, validate_host

    parts = urlsplit(settings.SITE_URL)
    domain, _port = split_domain_port(parts.netloc)
    if (
        parts.scheme == "https"
        and domain
        and "*" not in domain
        and not parts.path
        and not parts.query
        and validate_host(domain, settings.ALLOWED_HOSTS)
    ):
        return []
    return [
        Error(
            f"SITE_URL is {settings.SITE_URL!r}: not an https:// address of a host in "
            "ALLOWED_HOSTS, without a path.",
            hint="Set SITE_URL to the site's public address, e.g. https://essdir.example.org.",
            id=E003,
        )
    ]


W001 = "essdir.W001"
ACCESSIBILITY_STATES = ("totalement", "partiellement", "non")


@register(Tags.security, deploy=True)
def legal_facts_are_set(app_configs=None, **kwargs) -> list[Warning]:
    """A French public site names its publisher, director of publication and host, and
    gives readers an address (mentions légales, RGAA statement, personal data)."""
    from essdir.legal import LEGAL_SETTINGS, missing_legal_settings

    warnings = [
        Warning(
            f"{name} is not set: the legal pages say that {LEGAL_SETTINGS[name]} is missing.",
            hint=f"Set the {name} environment variable (README, Configuration).",
            id=W001,
        )
        for name in missing_legal_settings()
    ]
    if settings.ACCESSIBILITY_STATUS not in ACCESSIBILITY_STATES:
        warnings.append(
            Warning(
                f"ACCESSIBILITY_STATUS is {settings.ACCESSIBILITY_STATUS!r}.",
                hint="Set it to 'totalement', 'partiellement' or 'non' (RGAA 4.1).",
                id=W001,
            )
        )
    return warnings


E002 = "essdir.E002"


def scoped_models() -> set[type]:
    """The models whose records belong to collectivités: published records and those the
    back-office scopes to a user (its ScopedAdmin and the admins that call `scoped()`)."""
    from django.contrib import admin

    from core.publication import Publishable

    found = {model for model in apps.get_models() if issubclass(model, Publishable)}
    found |= {
        model
        for model, model_admin in admin.site._registry.items()
        if model_admin_is_scoped(model_admin)
    }
    return found


def model_admin_is_scoped(model_admin) -> bool:
    return bool(getattr(model_admin, "scoped_by_owner", False))


@register(Tags.models)
def ownership_rules(app_configs=None, **kwargs) -> list[Error]:
    """Every scoped model states who owns its records; otherwise staff could see everything
    (or nothing), which would only show when someone opens the page."""
    errors = []
    for model in sorted(scoped_models(), key=lambda m: m._meta.label):
        queryset_rule = callable(getattr(model._default_manager, "owned_by", None))
        instance_rule = callable(getattr(model, "is_owned_by", None))
        if queryset_rule and instance_rule:
            continue
        errors.append(
            Error(
                f"{model._meta.label} has no ownership rule.",
                hint="Give its QuerySet an owned_by(collectivites) method and the model an "
                "is_owned_by(collectivite_ids) method (see territories.access).",
                obj=model,
                id=E002,
            )
        )
    return errors
