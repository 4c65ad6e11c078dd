"""A CD54 editor keeps CD54's contacts up to date, and cannot reach the Moselle's."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from territories.models import Collectivite, Contact, StaffMembership

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "un-mot-de-passe-solide-2026"


@pytest.fixture
def cd54_editor(seeded_live):
    user = User.objects.create_user("editrice54", password=PASSWORD, is_staff=True)
    StaffMembership.objects.create(
        user=user, collectivite=Collectivite.objects.get(slug="meurthe-et-moselle"), role="editor"
    )
    return user


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/gestion/")
    page.get_by_label("Nom d’utilisateur").fill("editrice54")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Gestion")).to_be_visible()


def test_editor_edits_a_contact_sees_it_public_restores_it_and_is_kept_out_of_moselle(
    seeded_live, cd54_editor, page: Page
):
    mengel = Contact.objects.get(name="Catherine Mengel")
    bouchon = Contact.objects.get(name="Laurence BOUCHON")
    sign_in(page, seeded_live)

    # Edit a CD54 contact through the change list.
    page.goto(f"{seeded_live}/gestion/territories/contact/")
    expect(page.get_by_role("link", name="Laurence BOUCHON")).to_have_count(0)
    page.get_by_role("link", name="Catherine Mengel").click()
    page.get_by_label("Téléphone").fill("03 83 94 55 99")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("a été modifié avec succès")

    # The public page shows the change.
    page.goto(f"{seeded_live}/collectivites/meurthe-et-moselle/")
    expect(page.locator("#contacter")).to_contain_text("03 83 94 55 99")

    # Restore the previous version from the history.
    page.goto(f"{seeded_live}/gestion/territories/contact/{mengel.pk}/history/")
    expect(page.locator("#content")).to_contain_text("editrice54")
    page.locator("#change-history a").filter(has_text=re.compile("Catherine Mengel")).last.click()
    expect(page.get_by_label("Téléphone")).to_have_value("03 83 94 55 80")
    page.get_by_role("button", name="Rétablir").click()
    page.goto(f"{seeded_live}/collectivites/meurthe-et-moselle/")
    expect(page.locator("#contacter")).to_contain_text("03 83 94 55 80")
    expect(page.locator("#contacter")).not_to_contain_text("03 83 94 55 99")

    # A Moselle contact opened by URL does not exist for this editor.
    response = page.goto(f"{seeded_live}/gestion/territories/contact/{bouchon.pk}/change/")
    assert response.status == 404
    response = page.goto(f"{seeded_live}/gestion/territories/contact/{bouchon.pk}/history/")
    assert response.status in (403, 404)
