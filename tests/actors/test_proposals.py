from html.parser import HTMLParser

import pytest

from actors.models import Actor, ActorProposal, ProposalStatus
from actors.services import PROPOSALS_PER_ADDRESS, approve_proposal, reject_proposal

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Ressourcerie du Toulois",
    "short_description": "Collecte et revend des objets de seconde main.",
    "description": "",
    "family": "association",
    "legal_form": "association loi 1901",
    "siren": "732 829 320",
    "website": "https://ressourcerie.example.org",
    "email": "contact@ressourcerie.example.org",
    "phone": "",
    "commune": "54200 Toul",
    "submitter_name": "Camille",
    "submitter_email": "camille@example.org",
    "nickname": "",
}


class FormValues(HTMLParser):
    """The value each field of a form shows, as a browser would submit it."""

    def __init__(self):
        super().__init__()
        self.values, self._textarea, self._select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("hidden", "checkbox"):
            self.values[name] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "textarea":
            # Browsers drop the newline Django writes after <textarea>.
            self.values[self._textarea] = self.values[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(response) -> dict[str, str]:
    text = response.content.decode()
    start = text.index('<form class="panel proposal"')
    parser = FormValues()
    parser.feed(text[start : text.index("</form>", start)])
    return parser.values


def test_valid_proposal_is_stored_pending_and_confirmed(client):
    response = client.post("/acteurs/referencer/", VALID, follow=True)

    proposal = ActorProposal.objects.get()
    assert proposal.status == ProposalStatus.PENDING
    assert proposal.siren == "732829320"
    assert proposal.territory.short_slug == "commune-54528"
    assert "a bien été reçue" in response.content.decode()


def test_pending_proposal_is_not_public(client):
    client.post("/acteurs/referencer/", VALID)

    assert Actor.objects.count() == 0
    assert list(client.get("/acteurs/").context["object_list"]) == []
    assert client.get("/acteurs/ressourcerie-du-toulois/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Ce champ est obligatoire."),
        ("siren", "123456789", "Ce SIREN n&#39;est pas valide (clé de contrôle)."),
        ("website", "pas une adresse", "Saisissez une URL valide."),
        ("submitter_email", "camille@", "Saisissez une adresse de courriel valide."),
        ("commune", "Atlantide", "Aucune commune ne correspond."),
        ("commune", "54200", "Plusieurs communes correspondent"),
    ],
)
def test_invalid_proposal_says_what_to_fix_and_keeps_the_input(client, field, value, message):
    response = client.post("/acteurs/referencer/", {**VALID, field: value})

    text = response.content.decode()
    assert response.status_code == 400
    assert message in text
    # Every field shows what was typed, the wrong value included, to be corrected in place.
    assert form_values(response) == {**VALID, field: value}
    assert ActorProposal.objects.count() == 0


def test_honeypot_filled_is_rejected(client):
    response = client.post("/acteurs/referencer/", {**VALID, "nickname": "bot"})

    assert response.status_code == 400
    assert ActorProposal.objects.count() == 0


def test_proposals_are_rate_limited_per_address(client):
    for _ in range(PROPOSALS_PER_ADDRESS):
        client.post("/acteurs/referencer/", VALID, REMOTE_ADDR="203.0.113.7")

    response = client.post("/acteurs/referencer/", VALID, REMOTE_ADDR="203.0.113.7")
    other = client.post("/acteurs/referencer/", VALID, REMOTE_ADDR="203.0.113.8")

    assert response.status_code == 429
    assert 'value="Ressourcerie du Toulois"' in response.content.decode()
    assert other.status_code == 302
    assert ActorProposal.objects.count() == PROPOSALS_PER_ADDRESS + 1


@pytest.mark.parametrize("forged", ["198.51.100.1", "198.51.100.2, 198.51.100.3"])
def test_behind_the_proxy_proposals_are_limited_per_visitor_not_per_proxy(client, settings, forged):
    """Behind the proxy every request comes from its address: the limit counts the address
    the proxy appended, and a forged first entry buys no new allowance."""
    settings.BEHIND_PROXY = True
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for index in range(PROPOSALS_PER_ADDRESS):
        client.post(
            "/acteurs/referencer/",
            VALID,
            **proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{index}, 203.0.113.7",
        )

    again = client.post(
        "/acteurs/referencer/", VALID, **proxy, HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.7"
    )
    neighbour = client.post(
        "/acteurs/referencer/", VALID, **proxy, HTTP_X_FORWARDED_FOR="203.0.113.8"
    )

    assert (again.status_code, neighbour.status_code) == (429, 302)
    assert ActorProposal.objects.count() == PROPOSALS_PER_ADDRESS + 1


def test_approving_a_proposal_publishes_an_actor(client, admin_user):
    client.post("/acteurs/referencer/", VALID)
    proposal = ActorProposal.objects.get()

    actor = approve_proposal(proposal=proposal, moderator=admin_user)

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.actor == actor
    page = client.get(actor.get_absolute_url()).content.decode()
    assert "<h1>Ressourcerie du Toulois</h1>" in page
    assert "Collecte et revend des objets de seconde main." in page


def test_rejecting_keeps_the_proposal_with_its_reason(client, admin_user):
    client.post("/acteurs/referencer/", VALID)
    proposal = ActorProposal.objects.get()

    reject_proposal(proposal=proposal, reason="Structure hors ESS", moderator=admin_user)

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert proposal.rejection_reason == "Structure hors ESS"
    assert Actor.objects.count() == 0


def test_rejecting_without_a_reason_is_refused(client, admin_user):
    client.post("/acteurs/referencer/", VALID)

    with pytest.raises(ValueError, match="reason"):
        reject_proposal(proposal=ActorProposal.objects.get(), reason=" ", moderator=admin_user)
