"""The back-office: who may do what, on every way in; history, restore, publication."""

import datetime
import html
import re

import pytest
from django import forms
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from actors.models import ActorPartnership, ActorProposal
from events.models import Event
from territories.models import Budget, Contact, PublicationStatus, Scheme, StaffMembership
from tests.dbstate import shared_data
from tests.factories import (
    ActorFactory,
    BudgetFactory,
    BudgetLineFactory,
    CollectiviteFactory,
    ContactFactory,
    EventFactory,
    SchemeFactory,
    territory,
)

pytestmark = pytest.mark.django_db

ADMIN = "/gestion/"


class World:
    """Two collectivités, each with one record of every kind, and their staff."""

    def __init__(self):
        self.cd54 = CollectiviteFactory(name="Département 54", slug="cd54")
        self.moselle = CollectiviteFactory(
            name="Département 57", slug="cd57", territory=territory("departement-57")
        )
        self.records = {}
        for key, collectivite, commune in [
            ("own", self.cd54, "commune-54528"),
            ("other", self.moselle, "commune-57463"),
        ]:
            label = "CD54" if key == "own" else "Voisine"
            budget = BudgetFactory(collectivite=collectivite, label=f"Budget {label}")
            BudgetLineFactory(budget=budget, label=f"Ligne {label}")
            actor = ActorFactory(name=f"Acteur {label}", territory=territory(commune))
            self.records[key] = {
                "collectivite": collectivite,
                "contact": ContactFactory(collectivite=collectivite, name=f"Contact {label}"),
                "budget": budget,
                "scheme": SchemeFactory(collectivite=collectivite, name=f"Dispositif {label}"),
                "event": EventFactory(collectivite=collectivite, title=f"Événement {label}"),
                "actor": actor,
                "actorproposal": ActorProposal.objects.create(
                    name=f"Proposition {label}",
                    short_description="…",
                    territory=territory(commune),
                    submitter_name="X",
                    submitter_email="x@example.org",
                    address_hash="h",
                ),
            }
        self.editor = self.user("editeur", self.cd54, "editor")
        self.manager = self.user("gestionnaire", self.cd54, "manager")
        self.moselle_editor = self.user("editeur57", self.moselle, "editor")
        self.outsider = User.objects.create_user("sans-collectivite", is_staff=True)
        self.superuser = User.objects.create_superuser("reseau", "reseau@example.org", "x")

    @staticmethod
    def user(username, collectivite, role):
        user = User.objects.create_user(username, is_staff=True)
        StaffMembership.objects.create(user=user, collectivite=collectivite, role=role)
        return user


@shared_data
def world():
    """Built once for the tests that use it one after another; each test gets a copy and
    rolls its own changes back (tests/dbstate.py)."""
    return World()


MODELS = {
    "collectivite": "territories",
    "contact": "territories",
    "budget": "territories",
    "scheme": "territories",
    "event": "events",
    "actor": "actors",
    "actorproposal": "actors",
}


def url(model: str, action: str, obj=None) -> str:
    name = f"admin:{MODELS[model]}_{model}_{action}"
    return reverse(name, args=[obj.pk] if obj is not None else [])


@pytest.mark.parametrize("model", MODELS)
def test_editor_change_list_shows_only_own_records(client, world, model):
    client.force_login(world.editor)

    response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [world.records["own"][model]]
    assert "Voisine" not in response.content.decode()


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("action", ["change", "delete", "history"])
def test_editor_cannot_open_another_collectivites_record_by_url(client, world, model, action):
    client.force_login(world.editor)
    other = world.records["other"][model]

    response = client.get(url(model, action, other))

    assert response.status_code in (403, 404)
    assert str(other) not in page_text(response)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def history_links(response) -> list[str]:
    """The links of the history page to the past versions of the record."""
    return re.findall(r'href="(/gestion/[^"]+/history/\d+/)"', response.content.decode())


@pytest.mark.parametrize("model", MODELS)
def test_editor_opens_own_records_change_form(client, world, model):
    client.force_login(world.editor)
    own = world.records["own"][model]

    response = client.get(url(model, "change", own))

    assert response.status_code == 200
    assert response.context["adminform"].form.instance == own
    title = f"<title>{own} | Modification de {own._meta.verbose_name} | essdir</title>"
    assert title in page_text(response)
    assert "Voisine" not in page_text(response)


@pytest.mark.parametrize("model", MODELS)
def test_editor_opens_own_records_history(client, world, model):
    client.force_login(world.editor)
    own = world.records["own"][model]
    own.save()  # A second version, to be listed too.

    response = client.get(url(model, "history", own))

    assert f"<h1>Historique des changements\xa0: {own}</h1>" in page_text(response)
    if model == "actorproposal":  # Moderated, not edited: no versions to restore.
        assert history_links(response) == []
    else:
        versions = own.history.order_by("-history_date", "-history_id")
        assert history_links(response) == [
            reverse(f"admin:{MODELS[model]}_{model}_simple_history", args=[own.pk, v.history_id])
            for v in versions
        ]
        assert len(versions) >= 2


@pytest.mark.parametrize(
    ("model", "may_delete"),
    [
        ("collectivite", False),
        ("contact", True),
        ("budget", True),
        ("scheme", True),
        ("event", True),
        ("actor", True),
        ("actorproposal", False),
    ],
)
def test_editor_deletes_own_records_only_where_allowed(client, world, model, may_delete):
    client.force_login(world.editor)
    own = world.records["own"][model]

    response = client.post(url(model, "delete", own), {"post": "yes"})

    assert response.status_code == (302 if may_delete else 403)
    assert type(own).objects.filter(pk=own.pk).exists() is not may_delete


@pytest.mark.parametrize("model", ["contact", "budget", "scheme", "event", "actor"])
def test_editor_cannot_delete_another_collectivites_record(client, world, model):
    client.force_login(world.editor)
    other = world.records["other"][model]

    response = client.post(url(model, "delete", other), {"post": "yes"})

    assert response.status_code == 404
    assert type(other).objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("model", ["contact", "budget", "scheme", "event", "actor"])
def test_bulk_delete_touches_only_own_records(client, world, model):
    client.force_login(world.editor)
    own, other = world.records["own"][model], world.records["other"][model]

    client.post(
        url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [own.pk, other.pk], "post": "yes"},
    )

    assert not type(own).objects.filter(pk=own.pk).exists()
    assert type(other).objects.filter(pk=other.pk).exists()


def test_bulk_mark_checked_touches_only_own_records(client, world):
    client.force_login(world.editor)
    own, other = world.records["own"]["contact"], world.records["other"]["contact"]

    client.post(
        url("contact", "changelist"),
        {"action": "mark_checked", "_selected_action": [own.pk, other.pk]},
    )

    own.refresh_from_db()
    other.refresh_from_db()
    assert own.checked_at is not None
    assert other.checked_at is None


@pytest.mark.parametrize("model", ["contact", "budget", "scheme"])
def test_editor_add_form_offers_only_own_collectivite(client, world, model):
    client.force_login(world.editor)

    response = client.get(url(model, "add"))

    field = response.context["adminform"].form.fields["collectivite"]
    assert list(field.queryset) == [world.cd54]
    assert response.context["adminform"].form.initial["collectivite"] == world.cd54.pk


def test_editor_cannot_create_a_contact_for_another_collectivite(client, world):
    client.force_login(world.editor)

    response = client.post(
        url("contact", "add"),
        {
            "collectivite": world.moselle.pk,
            "name": "Intrus",
            "role": "agent",
            "status": "draft",
            "order": 0,
        },
    )

    assert response.status_code == 200
    assert "collectivite" in response.context["adminform"].form.errors
    assert not Contact.objects.filter(name="Intrus").exists()


def test_editor_cannot_reassign_a_record_to_another_collectivite(client, world):
    client.force_login(world.editor)
    own = world.records["own"]["contact"]

    client.post(
        url("contact", "change", own),
        {
            "collectivite": world.moselle.pk,
            "name": own.name,
            "role": "agent",
            "status": "published",
        },
    )

    own.refresh_from_db()
    assert own.collectivite == world.cd54


def test_editor_creates_a_contact_for_own_collectivite(client, world):
    client.force_login(world.editor)

    response = client.post(
        url("contact", "add"),
        {
            "collectivite": world.cd54.pk,
            "name": "Nouvelle chargée",
            "role": "agent",
            "status": "draft",
            "order": 0,
            "territories": [territory("departement-54").pk],
        },
    )

    assert response.status_code == 302
    assert Contact.objects.get(name="Nouvelle chargée").collectivite == world.cd54


def test_editor_cannot_add_a_collectivite(client, world):
    client.force_login(world.editor)

    assert client.get(url("collectivite", "add")).status_code == 403


def test_staff_without_collectivite_sees_nothing(client, world):
    client.force_login(world.outsider)

    assert client.get(url("contact", "changelist")).status_code == 403
    index = client.get(ADMIN)
    assert index.context["app_list"] == []


def test_superuser_sees_every_record(client, world):
    client.force_login(world.superuser)

    response = client.get(url("contact", "changelist"))

    assert {c.name for c in response.context["cl"].result_list} == {
        "Contact CD54",
        "Contact Voisine",
    }


def test_inline_of_own_budget_is_editable(client, world):
    client.force_login(world.editor)

    response = client.get(url("budget", "change", world.records["own"]["budget"]))

    (formset, *_) = response.context["inline_admin_formsets"]
    assert formset.has_change_permission is True
    assert [form.instance.label for form in formset.formset.forms if form.instance.pk] == [
        "Ligne CD54"
    ]


def test_list_filter_lists_only_own_collectivite(client, world):
    client.force_login(world.editor)

    response = client.get(url("contact", "changelist"))

    assert "Département 57" not in response.content.decode()


def test_actor_autocomplete_offers_own_and_published_actors_only(client, world):
    client.force_login(world.editor)
    ActorFactory(
        name="Acteur brouillon mosellan", status="draft", territory=territory("commune-57463")
    )

    response = client.get(
        f"{ADMIN}autocomplete/",
        {
            "app_label": "events",
            "model_name": "eventparticipation",
            "field_name": "actor",
            "term": "Acteur",
        },
    )

    names = {item["text"] for item in response.json()["results"]}
    assert names == {"Acteur CD54", "Acteur Voisine"}


def test_scheme_autocomplete_offers_own_schemes_only(client, world):
    client.force_login(world.editor)

    response = client.get(
        f"{ADMIN}autocomplete/",
        {
            "app_label": "territories",
            "model_name": "budgetline",
            "field_name": "scheme",
            "term": "",
        },
    )

    assert [item["text"] for item in response.json()["results"]] == ["Dispositif CD54"]


def test_manager_manages_editors_of_own_collectivite_only(client, world):
    client.force_login(world.manager)

    response = client.get(reverse("admin:territories_staffmembership_changelist"))

    assert {m.user.username for m in response.context["cl"].result_list} == {
        "editeur",
        "gestionnaire",
    }
    other = StaffMembership.objects.get(user=world.moselle_editor)
    assert client.get(
        reverse("admin:territories_staffmembership_change", args=[other.pk])
    ).status_code in (403, 404)


def test_manager_can_only_grant_the_editor_role(client, world):
    client.force_login(world.manager)
    newcomer = User.objects.create_user("nouvelle", is_staff=True)

    client.post(
        reverse("admin:territories_staffmembership_add"),
        {"user": newcomer.pk, "collectivite": world.cd54.pk, "role": "manager"},
    )
    client.post(
        reverse("admin:territories_staffmembership_add"),
        {"user": newcomer.pk, "collectivite": world.moselle.pk, "role": "editor"},
    )

    assert not StaffMembership.objects.filter(user=newcomer).exists()


def test_editor_cannot_manage_memberships(client, world):
    client.force_login(world.editor)

    assert client.get(reverse("admin:territories_staffmembership_changelist")).status_code == 403


def test_editor_may_correct_a_grouping_on_own_territory_only(client, world):
    client.force_login(world.editor)
    own_grouping = territory("groupement-cd54-briey")
    other = territory("groupement-petr-langres")

    assert client.get(
        reverse("admin:territories_territory_change", args=[own_grouping.pk])
    ).context["has_change_permission"]
    assert not client.get(reverse("admin:territories_territory_change", args=[other.pk])).context[
        "has_change_permission"
    ]


# --- History and restore ---------------------------------------------------------------------


def contact_form(contact, **changes):
    data = {
        "collectivite": contact.collectivite_id,
        "name": contact.name,
        "role": contact.role,
        "title": contact.title,
        "phone": contact.phone,
        "status": contact.status,
        "order": contact.order,
        "territories": list(contact.territories.values_list("pk", flat=True)),
    }
    return {**data, **changes}


def test_every_change_is_recorded_with_who_and_what(client, world):
    client.force_login(world.editor)
    contact = world.records["own"]["contact"]

    client.post(url("contact", "change", contact), contact_form(contact, phone="03 83 00 00 00"))

    latest, previous = contact.history.order_by("-history_id")[:2]
    delta = latest.diff_against(previous)
    assert latest.history_user == world.editor
    assert [change.field for change in delta.changes] == ["phone"]
    assert delta.changes[0].new == "03 83 00 00 00"
    history = client.get(url("contact", "history", contact)).content.decode()
    assert "03 83 00 00 00" in history


def proposed_values(form) -> dict:
    """What a form proposes, as the browser posts it when the user changes nothing."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def contact_facts(contact) -> dict:
    return {
        "collectivite": contact.collectivite_id,
        "name": contact.name,
        "role": contact.role,
        "title": contact.title,
        "phone": contact.phone,
        "status": contact.status,
        "territories": sorted(contact.territories.values_list("short_slug", flat=True)),
    }


def test_restore_an_earlier_version(client, world):
    client.force_login(world.editor)
    contact = world.records["own"]["contact"]
    original = contact_facts(contact)
    good_version = contact.history.latest("history_id")
    client.post(
        url("contact", "change", contact),
        contact_form(
            contact,
            name="Nom erroné",
            phone="00 00 00 00 00",
            status="draft",
            territories=[territory("commune-54528").pk],
        ),
    )
    contact.refresh_from_db()
    assert contact_facts(contact) != original

    restore_url = reverse(
        "admin:territories_contact_simple_history", args=[contact.pk, good_version.history_id]
    )
    form = client.get(restore_url).context["adminform"].form
    proposed = proposed_values(form)
    response = client.post(restore_url, proposed)

    assert response.status_code == 302
    assert proposed["name"] == "Contact CD54"
    assert [int(pk) for pk in proposed["territories"]] == [territory("departement-54").pk]
    contact.refresh_from_db()
    assert contact_facts(contact) == original


def test_restore_a_deleted_record_from_the_trash(client, world):
    client.force_login(world.editor)
    contact = world.records["own"]["contact"]
    pk, original = contact.pk, contact_facts(contact)
    client.post(url("contact", "delete", contact), {"post": "yes"})

    trash = client.get(reverse("admin:territories_contact_deleted"))
    (entry,) = trash.context["records"]
    form = client.get(entry["restore_url"]).context["adminform"].form
    proposed = proposed_values(form)
    response = client.post(entry["restore_url"], proposed)

    assert entry["label"] == "Contact CD54"
    assert response.status_code == 302
    assert contact_facts(Contact.objects.get(pk=pk)) == original


def test_trash_hides_another_collectivites_deleted_records(client, world):
    other = world.records["other"]["contact"]
    pk = other.pk
    other.delete()
    client.force_login(world.editor)

    trash = client.get(reverse("admin:territories_contact_deleted"))

    assert trash.context["records"] == []
    deleted = Contact.history.get(id=pk, history_type="-")
    restore_url = reverse("admin:territories_contact_simple_history", args=[pk, deleted.history_id])
    assert client.get(restore_url).status_code == 403


# --- Publication and freshness -----------------------------------------------------------------


def test_staff_previews_own_draft_but_public_does_not_see_it(client, world):
    draft = SchemeFactory(collectivite=world.cd54, name="Brouillon", status="draft")

    assert client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(world.editor)
    preview = client.get(draft.get_absolute_url())
    assert preview.status_code == 200
    assert "Aperçu réservé à l'équipe" in preview.content.decode()
    client.force_login(world.moselle_editor)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_archive_action_removes_a_record_from_public_pages(client, world):
    scheme = world.records["own"]["scheme"]
    client.force_login(world.editor)

    client.post(url("scheme", "changelist"), {"action": "archive", "_selected_action": [scheme.pk]})

    client.logout()
    assert client.get(scheme.get_absolute_url()).status_code == 404
    assert Scheme.objects.get(pk=scheme.pk).status == "archived"


def test_stale_report_lists_own_records_not_checked_for_a_year(client, world, time_machine):
    time_machine.move_to("2026-11-22")
    fresh = world.records["own"]["contact"]
    fresh.checked_at = datetime.date(2026, 6, 1)
    fresh.save()
    Budget.objects.filter(pk=world.records["own"]["budget"].pk).update(
        checked_at=datetime.date(2025, 1, 1)
    )
    client.force_login(world.editor)

    response = client.get(reverse("backoffice:stale_records"))

    (entry,) = response.context["report"]
    labels = {r["label"] for group in entry["groups"] for r in group["records"]}
    assert entry["collectivite"] == world.cd54
    assert "Budget CD54" in labels
    assert "Contact CD54" not in labels
    assert "Contact Voisine" not in labels


def test_public_page_says_when_a_record_was_checked(client, world):
    collectivite = world.cd54
    collectivite.checked_at = datetime.date(2026, 10, 1)
    collectivite.save()

    response = client.get(collectivite.get_absolute_url())

    assert "À jour au 1 octobre 2026" in response.content.decode()


# --- Change lists stay fast ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize(
    ("model", "factory", "queries"),
    [
        ("contact", lambda c, n: ContactFactory(collectivite=c, name=f"Contact ajouté {n}"), 9),
        ("scheme", lambda c, n: SchemeFactory(collectivite=c, name=f"Dispositif ajouté {n}"), 10),
        ("budget", lambda c, n: BudgetFactory(collectivite=c, label=f"Budget ajouté {n}"), 10),
        ("event", lambda c, n: EventFactory(collectivite=c, title=f"Événement ajouté {n}"), 10),
        (
            "actor",
            lambda c, n: (
                ActorPartnership.objects.create(
                    actor=ActorFactory(name=f"Acteur ajouté {n}"), collectivite=c
                ).actor
            ),
            8,
        ),
    ],
)
def test_change_list_query_count_is_constant(
    client, django_assert_num_queries, world, model, factory, queries, count
):
    records = [world.records["own"][model]]
    records += [factory(world.cd54, n) for n in range(count - 1)]
    client.force_login(world.editor)

    with django_assert_num_queries(queries):
        response = client.get(url(model, "changelist"))

    assert sorted(response.context["cl"].result_list, key=str) == sorted(records, key=str)
    text = page_text(response)
    assert [str(record) for record in records if str(record) in text] == [
        str(record) for record in records
    ]
    opts = records[0]._meta
    assert f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}" in text


# --- Sign-in ----------------------------------------------------------------------------------


def test_sign_in_locks_out_after_repeated_failures(client, settings):
    User.objects.create_user("editrice", password="un-mot-de-passe-solide", is_staff=True)
    login = reverse("admin:login")

    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(login, {"username": "editrice", "password": "faux"})
    response = client.post(login, {"username": "editrice", "password": "un-mot-de-passe-solide"})

    assert response.status_code == 429
    assert "temporairement bloquée" in response.content.decode()


def test_demo_editors_command_is_refused_when_debug_is_off():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="development only"):
        call_command("create_demo_editors")


def test_demo_editors_command_creates_one_editor_per_collectivite(settings, world):
    import io

    from django.core.management import call_command

    settings.DEBUG = True

    call_command("create_demo_editors", stdout=io.StringIO())

    membership = StaffMembership.objects.get(user__username="editeur-cd54")
    assert membership.collectivite == world.cd54
    assert membership.role == "editor"
    assert membership.user.check_password("demo-essdir-2026")


def test_event_scope_includes_events_the_collectivite_organises(client, world):
    event = EventFactory(title="Co-organisé", collectivite=world.moselle)
    event.participations.create(collectivite=world.cd54, role="organiser")
    client.force_login(world.editor)

    response = client.get(url("event", "changelist"))

    assert {e.title for e in response.context["cl"].result_list} == {
        "Événement CD54",
        "Co-organisé",
    }
    assert Event.objects.count() == 3


# --- The full matrix: role × model × action ---------------------------------------------------

ROLES = ["outsider", "editor", "manager", "superuser"]
# What each role may do on its OWN collectivité's records (superuser: on all).
MAY_ADD = {"collectivite": False, "actorproposal": False}
MAY_DELETE = {"collectivite": False, "actorproposal": False}


def expected(role: str, model: str, action: str) -> bool:
    if role == "outsider":
        return False
    if role == "superuser":
        return not (model == "actorproposal" and action == "add")
    if action == "add":
        return MAY_ADD.get(model, True)
    if action == "delete":
        return MAY_DELETE.get(model, True)
    return True


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("action", ["view", "add", "change", "delete"])
def test_permission_matrix_on_own_records(client, world, role, model, action):
    user = {
        "outsider": world.outsider,
        "editor": world.editor,
        "manager": world.manager,
        "superuser": world.superuser,
    }[role]
    client.force_login(user)
    own = world.records["own"][model]
    target = {
        "view": url(model, "changelist"),
        "add": url(model, "add"),
        "change": url(model, "change", own),
        "delete": url(model, "delete", own),
    }[action]

    response = client.get(target)

    allowed = expected(role, model, action)
    assert (response.status_code == 200) is allowed, (role, model, action, response.status_code)
    if not allowed:
        assert response.status_code in (302, 403, 404)
        assert str(own) not in page_text(response)
    elif action == "add":
        assert response.context["add"] is True
        assert response.context["adminform"].form.instance.pk is None
    else:
        # The list, the form and the confirmation all name the record.
        assert str(own) in page_text(response)


@pytest.mark.parametrize("role", ["editor", "manager"])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("action", ["change", "delete", "history"])
def test_permission_matrix_on_other_collectivites_records(client, world, role, model, action):
    client.force_login(getattr(world, role))
    other = world.records["other"][model]

    response = client.get(url(model, action, other))

    assert response.status_code in (403, 404)
    assert str(other) not in page_text(response)


# --- "Voir sur le site": role × model ----------------------------------------------------------

# The models of the matrix that have a public page.
PUBLIC_PAGES = ["collectivite", "scheme", "event", "actor"]


@pytest.mark.parametrize("model", PUBLIC_PAGES)
@pytest.mark.parametrize(
    ("role", "redirects"),
    [
        ("editor", False),  # an editor of another collectivité
        ("outsider", False),  # staff with no collectivité
        ("moselle_editor", True),  # an editor of the record's own collectivité
        ("superuser", True),
    ],
)
def test_view_on_site_of_a_draft_redirects_only_those_who_manage_it(
    client, world, model, role, redirects
):
    draft = world.records["other"][model]
    draft.status = PublicationStatus.DRAFT
    draft.save()
    client.force_login(getattr(world, role))
    content_type = ContentType.objects.get_for_model(draft)

    response = client.get(reverse("admin:view_on_site", args=[content_type.pk, draft.pk]))

    if redirects:
        assert response.status_code == 302
        assert response["Location"] == f"https://testserver{draft.get_absolute_url()}"
    else:
        assert response.status_code == 404
        assert "Location" not in response
        assert draft.slug not in response.content.decode()
