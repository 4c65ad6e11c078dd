"""The back-office opens on the work of its staff; forms start with the name; the history
reads in French."""

import datetime
import html

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from actors.models import ActorPartnership, ActorProposal
from territories.models import PublicationStatus, StaffMembership
from tests.factories import (
    ActorFactory,
    BudgetFactory,
    CollectiviteFactory,
    ContactFactory,
    EventFactory,
    SchemeFactory,
    territory,
)

pytestmark = pytest.mark.django_db

ADMIN = "/gestion/"
DRAFT = PublicationStatus.DRAFT


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def staff(username, *collectivites, role="editor"):
    user = User.objects.create_user(username, is_staff=True)
    for collectivite in collectivites:
        StaffMembership.objects.create(user=user, collectivite=collectivite, role=role)
    return user


# --- History ----------------------------------------------------------------------------------


def test_history_of_a_scheme_changed_twice_reads_in_french(client):
    scheme = SchemeFactory(name="Dispositif suivi", amount=None, closes_on=None)
    scheme.amount = 100000
    scheme.save()
    scheme.closes_on = datetime.date(2027, 3, 31)
    scheme.status = DRAFT
    scheme.save()
    client.force_login(User.objects.create_superuser("reseau", "reseau@example.org", "x"))

    response = client.get(reverse("admin:territories_scheme_history", args=[scheme.pk]))

    text = page_text(response)
    assert response.status_code == 200
    assert "None" not in text
    assert "CHANGES" not in text.upper()
    assert "<strong>Montant</strong>\xa0: (vide) → 100\xa0000\xa0€" in text
    assert "<strong>Candidatures jusqu'au</strong>\xa0: (vide) → 31 mars 2027" in text
    assert "<strong>Statut de publication</strong>\xa0: Publié → Brouillon" in text
    assert "Motif" not in text  # no reason given: nothing said
    for header in ["Version", "Date", "Action", "Par", "Modifications"]:
        assert f'<th scope="col">{header}</th>' in text


def test_history_shows_the_reason_when_one_was_given(client):
    scheme = SchemeFactory(name="Dispositif motivé")
    scheme.amount = 5000
    scheme._change_reason = "Délibération du 12 mai"
    scheme.save()
    client.force_login(User.objects.create_superuser("reseau", "reseau@example.org", "x"))

    response = client.get(reverse("admin:territories_scheme_history", args=[scheme.pk]))

    assert "Motif\xa0: Délibération du 12 mai" in page_text(response)


def test_history_of_a_contact_reads_yes_no_choices_and_territories(client):
    contact = ContactFactory(name="Contact suivi", is_central=False, email="")
    contact.is_central = True
    contact.role = "elu"
    contact.save()
    contact.territories.set([territory("commune-54528")])
    contact.email = "contact@example.org"
    contact.save()
    client.force_login(User.objects.create_superuser("reseau", "reseau@example.org", "x"))

    response = client.get(reverse("admin:territories_contact_history", args=[contact.pk]))

    text = page_text(response)
    assert "None" not in text
    assert "<strong>Contact ESS principal</strong>\xa0: non → oui" in text
    assert "<strong>Rôle</strong>\xa0: Agent·e → Élu·e" in text
    assert "<strong>Courriel</strong>\xa0: (vide) → contact@example.org" in text
    assert "<strong>Territoires servis</strong>\xa0: (vide) → Toul (54528)" in text


# --- Change forms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "make", "lead"),
    [
        ("territories_collectivite", lambda: CollectiviteFactory(), ["name", "status"]),
        ("territories_contact", lambda: ContactFactory(), ["name", "title", "status"]),
        ("territories_scheme", lambda: SchemeFactory(), ["name", "status"]),
        ("territories_budget", lambda: BudgetFactory(), ["label", "year", "status"]),
        ("actors_actor", lambda: ActorFactory(), ["name", "status"]),
        ("events_event", lambda: EventFactory(), ["title", "status"]),
    ],
)
def test_change_form_starts_with_the_name_and_ends_with_the_sources(client, model, make, lead):
    record = make()
    client.force_login(User.objects.create_superuser("reseau", "reseau@example.org", "x"))

    response = client.get(reverse(f"admin:{model}_change", args=[record.pk]))

    fieldsets = [(fieldset.name, list(fieldset)) for fieldset in response.context["adminform"]]
    first_fields = [
        field.field["name"] if isinstance(field.field, dict) else field.field.name
        for line in fieldsets[0][1]
        for field in line
    ]
    assert first_fields[: len(lead)] == lead
    assert fieldsets[-1][0] == "Sources"
    assert "sources" not in first_fields
    text = response.content.decode()
    assert text.index('name="sources"') > text.index(f'name="{lead[0]}"')


@pytest.mark.parametrize(
    "model",
    [
        "territories_collectivite",
        "territories_contact",
        "territories_scheme",
        "territories_budget",
        "actors_actor",
        "events_event",
    ],
)
def test_change_lists_show_status_and_last_check_in_few_columns(model):
    from django.apps import apps
    from django.contrib import admin

    app_label, model_name = model.split("_")
    model_admin = admin.site.get_model_admin(apps.get_model(app_label, model_name))

    assert "status" in model_admin.list_display
    assert "checked_at" in model_admin.list_display
    assert len(model_admin.list_display) <= 6


# --- The home: what waits for the user -----------------------------------------------------------


class Network:
    """Two collectivités, each with drafts, records to check again and proposals."""

    def __init__(self):
        today = datetime.date.today()
        fresh, old = today - datetime.timedelta(days=10), today - datetime.timedelta(days=400)
        self.cd54 = CollectiviteFactory(name="Département 54", slug="cd54", checked_at=fresh)
        self.cd57 = CollectiviteFactory(
            name="Département 57", slug="cd57", territory=territory("departement-57")
        )  # never checked: to review
        # CD54: drafts 1 contact, 2 schemes, 1 event, 1 actor; to review 1 contact,
        # 1 scheme, 1 actor; 2 pending proposals.
        ContactFactory(collectivite=self.cd54, name="Contact à revoir", checked_at=old)
        ContactFactory(
            collectivite=self.cd54, name="Contact brouillon", status=DRAFT, checked_at=fresh
        )
        SchemeFactory(
            collectivite=self.cd54, name="Dispositif brouillon", status=DRAFT, checked_at=fresh
        )
        SchemeFactory(collectivite=self.cd54, name="Dispositif jamais vu", status=DRAFT)
        SchemeFactory(
            collectivite=self.cd54,
            name="Dispositif archivé",
            status=PublicationStatus.ARCHIVED,
            checked_at=old,
        )
        BudgetFactory(collectivite=self.cd54, checked_at=fresh)
        EventFactory(
            collectivite=self.cd54, title="Forum brouillon", status=DRAFT, checked_at=fresh
        )
        partner = ActorFactory(name="Partenaire à revoir", territory=territory("commune-54528"))
        ActorPartnership.objects.create(actor=partner, collectivite=self.cd54)
        # In its territory, not its partner: a draft it may edit, not its to check.
        ActorFactory(
            name="Structure brouillon",
            status=DRAFT,
            checked_at=None,
            territory=territory("commune-54528"),
        )
        for name in ["Proposition Toul 1", "Proposition Toul 2"]:
            self.proposal(name, "commune-54528")
        self.proposal("Proposition refusée", "commune-54528", status="rejected")
        # CD57: 3 draft contacts, 1 budget to review, 1 draft actor, 1 pending proposal.
        for n in range(3):
            ContactFactory(
                collectivite=self.cd57, name=f"Contact mosellan {n}", status=DRAFT, checked_at=fresh
            )
        BudgetFactory(collectivite=self.cd57, label="Budget mosellan", checked_at=old)
        ActorFactory(
            name="Structure mosellane",
            status=DRAFT,
            checked_at=fresh,
            territory=territory("commune-57463"),
        )
        self.proposal("Proposition Metz", "commune-57463")

    @staticmethod
    def proposal(name, commune, status="pending"):
        return ActorProposal.objects.create(
            name=name,
            short_description="…",
            territory=territory(commune),
            submitter_name="X",
            submitter_email="x@example.org",
            address_hash="h",
            status=status,
            rejection_reason="Hors ESS" if status == "rejected" else "",
        )


@pytest.fixture
def network():
    return Network()


def changelist(model: str, query: str) -> str:
    app = {"actor": "actors", "event": "events"}.get(model, "territories")
    return f"{reverse(f'admin:{app}_{model}_changelist')}?{query}"


def counts(rows) -> dict[str, int]:
    return {row["url"]: row["count"] for row in rows}


def test_home_shows_an_editor_the_work_of_their_collectivite_only(client, network):
    client.force_login(staff("editrice54", network.cd54))

    response = client.get(ADMIN)

    work = response.context["workbench"]
    assert work["scope"] == "Département 54"
    assert counts(work["drafts"]) == {
        changelist("contact", "status__exact=draft"): 1,
        changelist("scheme", "status__exact=draft"): 2,
        changelist("event", "status__exact=draft"): 1,
        changelist("actor", "status__exact=draft"): 1,
    }
    assert work["drafts_total"] == 5
    assert counts(work["to_review"]) == {
        changelist("contact", "verification=a-revoir"): 1,
        changelist("scheme", "verification=a-revoir"): 1,
        changelist("actor", "verification=a-revoir"): 1,
    }
    assert work["to_review_total"] == 3
    assert work["proposals_total"] == 2
    assert [p["name"] for p in work["proposals"]] == ["Proposition Toul 2", "Proposition Toul 1"]
    text = page_text(response)
    assert "Brouillons (5)" in text
    assert "non vérifiées depuis plus d'un an (3)" in text
    assert "Propositions de structures en attente (2)" in text
    for other in ["Département 57", "mosellan", "Metz", "refusée", "(6)"]:
        assert other not in text
    # The home comes before the usual list of applications.
    assert text.index('id="workbench"') < text.index('class="app-territories')


def test_home_links_lead_to_change_lists_of_the_same_counts(client, network):
    client.force_login(staff("editrice54", network.cd54))
    work = client.get(ADMIN).context["workbench"]

    links = work["drafts"] + work["to_review"]
    links.append({"url": work["proposals_url"], "count": work["proposals_total"]})
    for link in links:
        response = client.get(link["url"])
        assert response.status_code == 200, link["url"]
        assert response.context["cl"].result_count == link["count"], link["url"]


def test_home_shows_a_superuser_the_whole_network(client, network):
    client.force_login(User.objects.create_superuser("reseau", "reseau@example.org", "x"))

    work = client.get(ADMIN).context["workbench"]

    assert work["scope"] == "tout le réseau"
    assert counts(work["drafts"]) == {
        changelist("contact", "status__exact=draft"): 4,
        changelist("scheme", "status__exact=draft"): 2,
        changelist("event", "status__exact=draft"): 1,
        changelist("actor", "status__exact=draft"): 2,
    }
    assert counts(work["to_review"]) == {
        changelist("collectivite", "verification=a-revoir"): 1,
        changelist("contact", "verification=a-revoir"): 1,
        changelist("scheme", "verification=a-revoir"): 1,
        changelist("budget", "verification=a-revoir"): 1,
        changelist("actor", "verification=a-revoir"): 1,
    }
    assert work["proposals_total"] == 3


def test_home_of_staff_without_collectivite_has_no_work(client, network):
    client.force_login(User.objects.create_user("sans-collectivite", is_staff=True))

    response = client.get(ADMIN)

    assert response.context["workbench"] is None
    assert 'id="workbench"' not in response.content.decode()


# Session, user, memberships, one count per kind of record, the names of the collectivités,
# the pending proposals and their count, the applications' list and its recent actions.
QUERIES = 15


@pytest.mark.parametrize("collectivites", [1, 3])
def test_home_query_count_does_not_grow_with_collectivites(
    client, django_assert_num_queries, network, collectivites
):
    others = [
        CollectiviteFactory(name=f"Commune {n}", territory=territory("commune-54528"))
        for n in range(collectivites - 1)
    ]
    for other in others:
        ContactFactory(collectivite=other, status=DRAFT)
    user = staff("editrice", network.cd54, *others)
    client.force_login(user)

    with django_assert_num_queries(QUERIES):
        response = client.get(ADMIN)

    assert response.context["workbench"]["drafts_total"] == 5 + len(others)
