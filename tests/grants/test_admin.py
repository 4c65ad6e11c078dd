"""The back-office: a collectivité's staff upload its files only (403 for another's), see
its grants only (404 for another's), with the history of each file; bad files are listed
row by row and store nothing."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from grants.models import Grant, GrantFile
from territories.models import StaffMembership
from tests.factories import CollectiviteFactory, territory
from tests.grants.conftest import data, run_import

pytestmark = pytest.mark.django_db

UPLOAD = "/gestion/grants/grantfile/televerser/"


def staff(username, collectivite, role="editor") -> User:
    user = User.objects.create_user(username, is_staff=True)
    StaffMembership.objects.create(user=user, collectivite=collectivite, role=role)
    return user


@pytest.fixture
def other(db):
    return CollectiviteFactory(
        name="Département Voisin", slug="departement-voisin", territory=territory("departement-57")
    )


def upload(client, collectivite, content, name="subventions.csv"):
    return client.post(
        UPLOAD,
        {
            "collectivite": collectivite.pk,
            "file": SimpleUploadedFile(name, content, content_type="text/csv"),
            "source_url": "https://example.org/subventions.csv",
            "publish": "on",
        },
    )


def test_an_editor_uploads_for_their_collectivite_with_history(client, attribuant):
    editor = staff("editrice", attribuant)
    client.force_login(editor)

    form = client.get(UPLOAD)
    response = upload(client, attribuant, data("subventions-valide.csv"))

    assert form.status_code == 200 and "Vérifier et importer" in form.content.decode()
    grant_file = GrantFile.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/gestion/grants/grantfile/{grant_file.pk}/change/"
    assert (grant_file.collectivite, grant_file.imported_by) == (attribuant, editor)
    assert grant_file.source_url == "https://example.org/subventions.csv"
    assert grant_file.history.get().history_user == editor
    history = client.get(f"/gestion/grants/grantfile/{grant_file.pk}/history/")
    assert history.status_code == 200
    assert Grant.objects.filter(collectivite=attribuant).count() == 5
    assert client.get("/gestion/grants/grantfile/add/")["Location"] == UPLOAD


def test_an_editor_cannot_upload_for_another_collectivite(client, attribuant, other):
    client.force_login(staff("editrice", attribuant))

    response = upload(client, other, data("subventions-valide.csv"))

    assert response.status_code == 403
    assert not GrantFile.objects.exists() and not Grant.objects.exists()


def test_staff_without_collectivite_cannot_upload(client, db):
    client.force_login(User.objects.create_user("sans", is_staff=True))

    assert client.get(UPLOAD).status_code == 403


def test_an_editor_sees_only_their_collectivites_files_and_grants(client, attribuant, other):
    own = run_import(data("subventions-valide.csv"), attribuant).grant_file
    lines = data("subventions-valide.csv").replace(b"99905401800018", b"99910005000015")
    theirs = run_import(lines, other).grant_file
    client.force_login(staff("editrice", attribuant))

    files = client.get("/gestion/grants/grantfile/").content.decode()
    grants = client.get("/gestion/grants/grant/").content.decode()
    foreign_grant = Grant.objects.filter(collectivite=other).first()

    assert f"/gestion/grants/grantfile/{own.pk}/change/" in files
    assert f"/gestion/grants/grantfile/{theirs.pk}/change/" not in files
    assert client.get(f"/gestion/grants/grantfile/{theirs.pk}/change/").status_code == 404
    assert client.get(f"/gestion/grants/grant/{foreign_grant.pk}/change/").status_code == 404
    assert grants.count("Département Fictif") >= 5 and "Département Voisin" not in grants


def test_a_bad_file_is_listed_row_by_row_and_stores_nothing(client, attribuant):
    client.force_login(staff("editrice", attribuant))

    response = upload(client, attribuant, data("subventions-erreurs.csv"))

    html = response.content.decode()
    assert response.status_code == 400
    assert "Fichier refusé : 7 ligne(s) invalide(s) sur 6." in html
    assert "montant négatif (-12000)" in html and "<td>3</td>" in html
    assert not GrantFile.objects.exists() and not Grant.objects.exists()


def test_a_latin1_upload_says_why(client, attribuant):
    client.force_login(staff("editrice", attribuant))
    latin1 = data("subventions-valide.csv").decode().encode("latin-1")

    html = upload(client, attribuant, latin1).content.decode()

    assert "n&#x27;est pas encodé en UTF-8" in html and "Latin-1 / Windows-1252" in html


def test_unmatched_beneficiaries_are_listed_and_can_be_matched_again(
    client, attribuant, structures
):
    run_import(data("subventions-valide.csv"), attribuant)
    client.force_login(staff("editrice", attribuant))

    unmatched = client.get("/gestion/grants/grant/", {"rapprochement": "non-rapproche"})

    html = unmatched.content.decode()
    assert "Entreprise Inventée" in html and "Coopérative Fictive du Réemploi" not in html
    from tests.factories import ActorFactory

    newcomer = ActorFactory(name="Entreprise Inventée", siren="999100043")
    pk = Grant.objects.get(beneficiary__isnull=True).pk
    response = client.post(
        "/gestion/grants/grant/",
        {"action": "rematch", "_selected_action": [pk], "rapprochement": "non-rapproche"},
    )
    assert response.status_code == 302
    assert Grant.objects.get(pk=pk).beneficiary == newcomer


def test_publishing_a_file_from_the_list_is_recorded(client, attribuant):
    grant_file = run_import(data("subventions-valide.csv"), attribuant, publish=False).grant_file
    client.force_login(staff("editrice", attribuant))

    client.post(
        "/gestion/grants/grantfile/",
        {"action": "publish", "_selected_action": [grant_file.pk]},
    )

    grant_file.refresh_from_db()
    assert grant_file.is_published and grant_file.history.count() == 2
    assert Grant.objects.public().count() == 5
