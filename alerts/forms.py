from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from alerts.addresses import UnsafeAddress, normalise_email
from alerts.models import Frequency, Subscription


class SubscriptionForm(forms.Form):
    """An address and a frequency for the saved search named in the page's query string."""

    email = forms.EmailField(
        label=_("Votre adresse e-mail"),
        max_length=254,
        help_text=_("Vous recevrez d'abord un e-mail pour confirmer votre adresse."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    frequency = forms.ChoiceField(
        label=_("Fréquence"),
        choices=Frequency.choices,
        initial=Frequency.WEEKLY,
        widget=forms.RadioSelect,
    )
    # Honeypot: hidden from people, filled by naive bots.
    nickname = forms.CharField(label=_("Laissez ce champ vide"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nickname"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean_email(self):
        """The address in its one spelling per mailbox (what is stored and counted)."""
        try:
            return normalise_email(self.cleaned_data["email"])
        except UnsafeAddress as error:
            raise ValidationError(error.message, code="unsafe_address") from None

    def clean_nickname(self):
        if self.cleaned_data["nickname"]:
            raise ValidationError(_("Ce champ doit rester vide."))
        return ""


class DeleteForm(forms.Form):
    """Which of one address's alerts to delete, from its management page."""

    alerte = forms.ModelChoiceField(
        label=_("Alerte"),
        queryset=Subscription.objects.none(),
        to_field_name="token",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Cette alerte n'existe plus.")},
    )

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["alerte"].queryset = subscriptions
