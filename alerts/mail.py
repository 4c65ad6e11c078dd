"""The e-mails of the alerts: confirmation, "already subscribed" and digests.

Each is written in the alert's language, the language of the page it was asked from: its
subject, its text and its links (`/en/…` for an English alert).

Each carries the links to manage one's alerts and to unsubscribe in one click
(`List-Unsubscribe`, RFC 2369, with `List-Unsubscribe-Post`, RFC 8058).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.models import Delivery, Subscription
from alerts.searches import SectionChanges, canonical_page_url, mail_summary


def absolute(path: str) -> str:
    """`path` on the public site (the command has no request to read the host from)."""
    return settings.ALERTS_BASE_URL.rstrip("/") + path


def home_path(language: str) -> str:
    """The home page in `language` (i18n_patterns: French unprefixed, /en/ for English)."""
    return "/" if language == settings.LANGUAGE_CODE else f"/{language}/"


def _message(
    *,
    subscription: Subscription,
    subject: str,
    template: str,
    context: dict,
    message_id: str = "",
) -> EmailMultiAlternatives:
    unsubscribe_url = absolute(subscription.get_unsubscribe_path())
    context = {
        "subscription": subscription,
        # Never the stored summary: free text is left out of the e-mails (see
        # SavedSearch.mail_summary), and summaries stored before may hold it.
        "search_summary": mail_summary(
            search_list=subscription.search_list, query=subscription.query
        ),
        "search_url": absolute(canonical_page_url(subscription.search_list, subscription.query)),
        "manage_url": absolute(subscription.get_manage_path()),
        "unsubscribe_url": unsubscribe_url,
        "site_url": absolute(home_path(subscription.language)),
        "base_url": settings.ALERTS_BASE_URL.rstrip("/"),
        "language": subscription.language,
        **context,
    }
    text = render_to_string(f"alerts/email/{template}.txt", context)
    html = render_to_string(f"alerts/email/{template}.html", context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[subscription.email], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


def confirmation_message(subscription: Subscription) -> EmailMultiAlternatives:
    """The double opt-in: nothing else is sent before its link is followed."""
    with translation.override(subscription.language):
        return _message(
            subscription=subscription,
            subject=_("Confirmez votre alerte essdir"),
            template="confirm",
            context={"confirm_url": absolute(subscription.get_confirm_path())},
        )


def already_subscribed_message(subscription: Subscription) -> EmailMultiAlternatives:
    """Sent instead of a confirmation when the address already follows that search (the
    page says the same either way, so it never tells whether an address is subscribed)."""
    with translation.override(subscription.language):
        return _message(
            subscription=subscription,
            subject=_("Votre alerte essdir existe déjà"),
            template="already",
            context={},
        )


def digest_message(
    subscription: Subscription, delivery: Delivery, sections: list[SectionChanges]
) -> EmailMultiAlternatives:
    """What is new or changed in the saved search during the delivery's window."""
    host = urlsplit(settings.ALERTS_BASE_URL).hostname or "localhost"
    count = sum(section.total for section in sections)
    with translation.override(subscription.language):
        return _message(
            subscription=subscription,
            subject=_("essdir : %(count)s nouveauté(s) — %(search)s")
            % {"count": count, "search": subscription.get_search_list_display()},
            template="digest",
            context={"sections": sections, "delivery": delivery, "count": count},
            # Stable per digest: should a crash come between the server's acceptance and
            # the record of it, the copy sent again is recognisable as the same message.
            message_id=f"<alerte-{delivery.pk}-{delivery.period}@{host}>",
        )
