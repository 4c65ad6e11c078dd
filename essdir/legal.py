"""The pages a French public site owes its readers: mentions légales, the accessibility
statement (RGAA 4.1's model), personal data, the site map, and a way to report an error on
any page. What only the operator knows (publisher, director of publication, host, contact)
comes from settings; where a setting is empty the page says so, and `check --deploy` warns
(essdir.checks)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.caching import PublicPageCacheMixin

# The settings the mentions légales need, with what each one names (checks.py warns while
# one is empty).
LEGAL_SETTINGS = {
    "SITE_PUBLISHER": "the publisher (éditeur du site)",
    "SITE_PUBLISHER_ADDRESS": "the publisher's postal address",
    "SITE_PUBLICATION_DIRECTOR": "the director of publication",
    "SITE_HOSTING_PROVIDER": "the host (hébergeur): its name",
    "SITE_HOSTING_ADDRESS": "the host's postal address or telephone",
    "SITE_CONTACT_EMAIL": "the address readers write to (errors, accessibility, personal data)",
}
# The longest page address accepted by the error report (the site's own paths are short).
REPORTED_PATH_MAX_LENGTH = 300


@dataclass(frozen=True)
class Operator:
    """Who publishes and hosts the site, as the operator set it; '' where it did not."""

    publisher: str
    publisher_address: str
    director: str
    hosting_provider: str
    hosting_address: str
    contact_email: str
    accessibility_status: str
    accessibility_date: str

    @classmethod
    def from_settings(cls) -> Operator:
        return cls(
            publisher=settings.SITE_PUBLISHER,
            publisher_address=settings.SITE_PUBLISHER_ADDRESS,
            director=settings.SITE_PUBLICATION_DIRECTOR,
            hosting_provider=settings.SITE_HOSTING_PROVIDER,
            hosting_address=settings.SITE_HOSTING_ADDRESS,
            contact_email=settings.SITE_CONTACT_EMAIL,
            accessibility_status=settings.ACCESSIBILITY_STATUS,
            accessibility_date=settings.ACCESSIBILITY_STATEMENT_DATE,
        )


def accessibility_label() -> str:
    """The footer's mention that RGAA 4.1 requires on every page."""
    labels = {
        "totalement": _("Accessibilité : totalement conforme"),
        "partiellement": _("Accessibilité : partiellement conforme"),
    }
    return labels.get(settings.ACCESSIBILITY_STATUS, _("Accessibilité : non conforme"))


def missing_legal_settings() -> list[str]:
    """The legal settings still empty, for the deployment check."""
    return [name for name in LEGAL_SETTINGS if not getattr(settings, name, "")]


class LegalPageView(PublicPageCacheMixin, TemplateView):
    """One of the legal pages: its template reads the operator's facts."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(operator=Operator.from_settings(), **kwargs)


class PrivacyView(LegalPageView):
    template_name = "site/legal/privacy.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(unconfirmed_days=settings.ALERTS_UNCONFIRMED_DAYS, **kwargs)


def reported_page(path: str) -> str | None:
    """The site's own page a reader reports an error on, or None for anything else (an
    absolute URL, another site, a path no page of the site answers): the report page never
    echoes a foreign address."""
    if not path.startswith("/") or path.startswith("//") or len(path) > REPORTED_PATH_MAX_LENGTH:
        return None
    if any(char in path for char in "\\\r\n\t ") or "?" in path or "#" in path:
        return None
    try:
        match = resolve(path)
    except (Resolver404, UnicodeError):
        return None
    if match.url_name == "report_error":
        return None
    return path


def _names_this_page(path: str) -> bool:
    try:
        return resolve(path).url_name == "report_error"
    except (Resolver404, UnicodeError):
        return False


class ReportErrorView(LegalPageView):
    """/signaler-une-erreur/?page=/acteurs/…/: how to report an error on that page (an
    e-mail to the site's contact, its subject and body written for the reader)."""

    template_name = "site/legal/report_error.html"

    def get(self, request, *args, **kwargs):
        raw = request.GET.get("page", "")
        self.page = reported_page(raw) if raw else None
        # This page's own footer links here with itself as the page: no page named, then.
        self.invalid = bool(raw) and self.page is None and not _names_this_page(raw)
        response = super().get(request, *args, **kwargs)
        if self.invalid:
            # The reader followed a bad link: the page still says how to report, with 400.
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(page=self.page, invalid_page=self.invalid, **kwargs)
        operator = context["operator"]
        if operator.contact_email:
            page_url = self.request.build_absolute_uri(self.page) if self.page else ""
            subject = _("Erreur sur l'annuaire de l'ESS")
            body = _("Page : %(url)s\n\nCe qui est inexact, et la source qui le corrige :\n") % {
                "url": page_url or _("(précisez la page)")
            }
            subject, body = quote(subject, safe=""), quote(body, safe="")
            context["mailto"] = f"mailto:{operator.contact_email}?subject={subject}&body={body}"
        return context
