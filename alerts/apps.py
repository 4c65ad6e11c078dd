from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    """E-mail alerts: saved searches of the lists and territory pages, sent as digests."""

    name = "alerts"
    verbose_name = _("Alertes par e-mail")
