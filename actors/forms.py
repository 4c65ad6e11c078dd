from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from actors.models import ActorProposal
from actors.validators import validate_siren
from territories.models import Territory, Theme


class ActorProposalForm(forms.ModelForm):
    commune = forms.CharField(
        label=_("Commune où agit la structure"),
        max_length=200,
        help_text=_("Nom ou code postal, par exemple « Toul » ou « 54200 Toul »."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Thèmes"),
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    siren = forms.CharField(
        label=_("SIREN"),
        required=False,
        max_length=20,
        help_text=_("9 chiffres, facultatif."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    website = forms.URLField(
        label=_("Site web"), required=False, max_length=200, assume_scheme="https"
    )
    # Honeypot: hidden from people, filled by naive bots.
    nickname = forms.CharField(label=_("Laissez ce champ vide"), required=False)

    class Meta:
        model = ActorProposal
        fields = [
            "name",
            "short_description",
            "description",
            "family",
            "legal_form",
            "siren",
            "website",
            "email",
            "phone",
            "submitter_name",
            "submitter_email",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}
        # The models' verbose names, capitalised as forms show them, for translation.
        labels = {
            "name": _("Nom de la structure"),
            "short_description": _("Présentation courte"),
            "description": _("Description"),
            "family": _("Famille de l'ESS"),
            "legal_form": _("Forme juridique"),
            "email": _("Courriel public"),
            "phone": _("Téléphone public"),
            "submitter_name": _("Votre nom"),
            "submitter_email": _("Votre courriel"),
        }
        help_texts = {
            "short_description": _("Une phrase sur ce que fait la structure."),
            "submitter_email": _("Pour vous répondre ; il ne sera pas publié."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nickname"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def clean_siren(self):
        # People paste SIRENs with spaces ("732 829 320").
        value = self.cleaned_data["siren"].replace(" ", "").replace("\u00a0", "")
        if value:
            validate_siren(value)
        return value

    def clean_commune(self):
        value = self.cleaned_data["commune"]
        matches = list(Territory.objects.matching_place(value)[:6])
        if not matches:
            raise ValidationError(
                _("Aucune commune ne correspond. Indiquez un nom ou un code postal.")
            )
        if len(matches) > 1:
            names = ", ".join(f"{c.name} ({c.departement_code})" for c in matches[:5])
            raise ValidationError(
                _(
                    "Plusieurs communes correspondent (%(names)s…) : ajoutez le code postal, "
                    "par exemple « 54200 Toul »."
                ),
                params={"names": names},
            )
        return matches[0]

    def clean_nickname(self):
        if self.cleaned_data["nickname"]:
            raise ValidationError(_("Ce champ doit rester vide."))
        return ""

    def save(self, commit=True):
        proposal = super().save(commit=False)
        proposal.territory = self.cleaned_data["commune"]
        return proposal
