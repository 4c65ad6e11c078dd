"""Importing a SCDL « Subventions » file: stored whole, linked to the structures by their
identifiers, idempotent, a corrected file replacing its years."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from grants.models import Grant, GrantFile, MatchKind
from tests.factories import CollectiviteFactory
from tests.grants.conftest import data, run_import

pytestmark = pytest.mark.django_db


def test_a_valid_file_is_stored_whole_and_linked_by_identifiers(attribuant, structures):
    report = run_import(data("subventions-valide.csv"), attribuant, name="valide.csv")

    assert report.ok, report.lines()
    assert report.row_count == 5 and report.years == {2023, 2024}
    grant_file = report.grant_file
    assert (grant_file.collectivite, grant_file.years, grant_file.row_count) == (
        attribuant,
        "2023, 2024",
        5,
    )
    assert grant_file.attributor_siren == "999054018" and grant_file.is_published
    links = {
        g.line: (g.beneficiary.name if g.beneficiary else None, g.match_kind)
        for g in Grant.objects.all()
    }
    assert links == {
        2: ("Les Jardins Imaginaires", MatchKind.SIRET),  # an establishment's SIRET
        3: ("Coopérative Fictive du Réemploi", MatchKind.SIREN),  # its SIREN
        4: ("Ateliers Imaginaires", MatchKind.RNA),
        5: (None, ""),  # no structure of the directory: never guessed from the name
        6: ("Les Jardins Imaginaires", MatchKind.SIREN),
    }
    assert report.matched == 4


def test_numbers_are_kept_as_written_and_each_beneficiary_counts_its_share(attribuant):
    run_import(data("subventions-valide.csv"), attribuant)

    shared = Grant.objects.get(decision_reference="CP-2024-03-102")
    first = Grant.objects.get(decision_reference="CP-2024-03-101")
    multiline = Grant.objects.get(decision_reference="CP-2024-06-007")

    assert (shared.amount_written, shared.share_written) == ("12000", "0.45")
    assert (shared.amount, shared.received) == (Decimal("12000.00"), Decimal("5400.00"))
    assert first.amount_written == "47800.20" and first.received == Decimal("47800.20")
    assert multiline.purpose == "Prêt de salle\npour les ateliers"
    assert Grant.objects.get(decision_reference="CP-2024-09-015").eu_notification is True
    assert GrantFile.objects.get().total_amount == Decimal("64700.70")


def test_a_bom_and_semicolons_give_the_same_grants(attribuant):
    run_import(data("subventions-bom-point-virgule.csv"), attribuant)
    with_bom = list(Grant.objects.order_by("line").values_list("beneficiary_name", "amount"))
    GrantFile.objects.all().delete()

    run_import(data("subventions-valide.csv"), attribuant)

    assert list(Grant.objects.order_by("line").values_list("beneficiary_name", "amount")) == (
        with_bom
    )


def test_importing_the_same_file_again_changes_nothing(attribuant):
    first = run_import(data("subventions-valide.csv"), attribuant)
    ids = set(Grant.objects.values_list("pk", flat=True))

    again = run_import(data("subventions-valide.csv"), attribuant)

    assert again.ok and again.unchanged and again.grant_file is None
    assert "déjà celui en vigueur" in again.summary()
    assert set(Grant.objects.values_list("pk", flat=True)) == ids
    assert list(GrantFile.objects.all()) == [first.grant_file]


def test_a_corrected_file_replaces_the_grants_of_its_years_only(attribuant):
    first = run_import(data("subventions-valide.csv"), attribuant).grant_file

    corrected = run_import(data("subventions-2024-corrige.csv"), attribuant)

    assert corrected.ok and corrected.replaced == 4  # the four grants of 2024
    by_year = {
        year: sorted(Grant.objects.filter(year=year).values_list("amount_written", flat=True))
        for year in (2023, 2024)
    }
    assert by_year == {2023: ["8000.00"], 2024: ["0", "12000", "45000.00"]}
    first.refresh_from_db()
    assert first.replaced_by is None  # still holds its 2023 grant
    assert Grant.objects.get(year=2023).file == first

    # The whole first file again: its 2024 grants come back, the corrected file is replaced.
    again = run_import(data("subventions-valide.csv"), attribuant)

    assert again.ok and not again.unchanged
    assert Grant.objects.count() == 5
    assert GrantFile.objects.get(pk=corrected.grant_file.pk).replaced_by == again.grant_file
    first.refresh_from_db()
    assert first.replaced_by == again.grant_file


def test_the_file_keeps_its_history_with_the_importer(attribuant, django_user_model):
    user = django_user_model.objects.create_user("editrice", is_staff=True)

    report = run_import(data("subventions-valide.csv"), attribuant, user=user)

    record = report.grant_file.history.get()
    assert (record.history_type, record.history_user) == ("+", user)
    assert record.history_change_reason == "Import : 5 ligne(s), 2023, 2024"
    assert report.grant_file.imported_by == user


def test_the_command_imports_then_finds_the_collectivite_by_its_siren(attribuant, capsys):
    path = "tests/grants/data/subventions-valide.csv"

    call_command("import_subventions", path, "--collectivite", "departement-fictif")
    call_command("import_subventions", "tests/grants/data/subventions-2024-corrige.csv")

    out = capsys.readouterr().out
    assert "5 subvention(s) importée(s) (2023, 2024)" in out
    assert "3 subvention(s) importée(s) (2024)" in out
    assert Grant.objects.filter(collectivite=attribuant).count() == 4


def test_the_command_without_collectivite_for_an_unknown_siren_refuses(db, capsys):
    with pytest.raises(CommandError, match="rien n'a été enregistré"):
        call_command("import_subventions", "tests/grants/data/subventions-valide.csv")

    assert "précisez la collectivité (--collectivite)" in capsys.readouterr().out
    assert not Grant.objects.exists()


def test_a_draft_import_is_not_public(attribuant):
    run_import(data("subventions-valide.csv"), attribuant, publish=False)

    assert Grant.objects.count() == 5 and not Grant.objects.public().exists()


def test_an_attributor_is_one_collectivite(attribuant):
    run_import(data("subventions-valide.csv"), attribuant)
    other = CollectiviteFactory(name="Autre collectivité")

    report = run_import(data("subventions-2024-corrige.csv"), other)

    assert not report.ok and "SIREN 999054018" in report.problem
    assert not Grant.objects.filter(collectivite=other).exists()
    assert Grant.objects.count() == 5


def test_grants_are_linked_again_once_the_structure_exists(attribuant, structures):
    run_import(data("subventions-valide.csv"), attribuant)
    unmatched = Grant.objects.get(decision_reference="CP-2024-09-015")
    assert unmatched.beneficiary is None
    from tests.factories import ActorFactory

    newcomer = ActorFactory(name="Entreprise Inventée", siren="999100043")

    call_command("match_grants")

    unmatched.refresh_from_db()
    assert (unmatched.beneficiary, unmatched.match_kind) == (newcomer, MatchKind.SIREN)
