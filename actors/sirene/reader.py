"""Streaming reader of INSEE's SIRENE stock files, keeping the ESS units of France.

Inputs are the files INSEE publishes on data.gouv.fr, each either as the zip archive
(a single CSV inside) or as the plain CSV:

- ``StockUniteLegale_utf8.zip``: one row per legal unit (SIREN);
- ``StockEtablissement_utf8.zip``: one row per establishment (SIRET);
- optionally ``GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.zip``
  (";"-separated; ``x_longitude`` / ``y_latitude`` already in WGS 84).

Files are streamed: a zip member is decompressed on the fly, nothing is extracted to disk
and memory does not grow with the file (only what the caller keeps, i.e. the ESS units).
Columns are found by header name, so the columns INSEE adds over the years are ignored.

Rules
-----
A unit is kept when ``economieSocialeSolidaireUniteLegale`` is ``O``, it is active
(``etatAdministratifUniteLegale`` ``A``) and it is not a natural person (legal category
starting with ``1``, e.g. 1000 « entrepreneur individuel »). An establishment is kept when
its SIREN is a kept unit, it is active (``etatAdministratifEtablissement`` ``A``) and,
with an area filter, its commune is in the area. Asked for them (``closed=True``), the
reader also gives the closed establishments of kept units, with the start of their closed
period (``dateDebut``, the stock giving each establishment's current period only): the
importer closes them on that date. They are still counted under « fermé ».

Every other row is counted under one reason (see ``SKIP_REASONS``):

- « non ESS »: not flagged ESS (units) or not belonging to a kept unit (establishments);
- « cessée » / « fermé »: ceased unit / closed establishment;
- « personne physique »: legal category 1xxx;
- « hors zone »: establishment outside the area filter (or abroad, without commune);
- « non diffusible »: a row under partial diffusion (statut de diffusion ``P``) whose
  identifying data is masked: a unit with no usable name (denomination, usual name and
  acronym all masked or empty), an establishment whose commune code is masked. Other
  masked values (``[ND]``) are only blanked, and the row is kept: the denomination of a
  legal person and the commune of an establishment are what the directory needs;
- « ligne invalide »: wrong number of fields, SIREN not 9 digits or failing the Luhn
  check, SIRET not 14 digits, not SIREN + NIC, or failing the check (La Poste's
  establishments, SIREN 356000000, pass when their digit sum is a multiple of 5), a NUL
  character, or a code longer than INSEE's width (``values.row_problem``). Such a row is
  refused whole rather than stored in part or stopping the import: one damaged row among
  millions must not hold back a monthly update, and what it would overwrite is left as it
  was (``ReadReport.refused_sirens`` / ``refused_sirets``). Identifiers and values are only
  checked on rows that would otherwise be kept: validating the tens of millions of
  discarded rows would cost time and change nothing.

Malformed rows are reported (file, line) in the ``ReadReport`` and reading goes on; an
unreadable file (missing columns, truncated or corrupt zip, not UTF-8) raises
``SireneFormatError``, with the file name and the line reached. As the readers are
generators, rows read before such an error have already been yielded: callers should
import inside a transaction.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Container, Iterator, Mapping
from pathlib import Path

from actors.sirene.files import STREAM_ERRORS, Cursor, open_source, prefilter
from actors.sirene.records import (
    Area,
    Establishment,
    FileReport,
    ReadReport,
    RowError,
    Unit,
    departement_of_commune,
)
from actors.sirene.reference import DEFAULT_ESS_FAMILY, ess_families
from actors.sirene.values import (
    MASKED,
    Coordinates,
    format_street_address,
    is_valid_siren,
    is_valid_siret,
    parse_date,
    row_problem,
    to_wgs84,
    unmask,
    wgs84_point,
)

NOT_ESS = "non ESS"
CEASED = "cessée"
CLOSED = "fermé"
OUTSIDE_AREA = "hors zone"
NOT_DISCLOSED = "non diffusible"
NATURAL_PERSON = "personne physique"
INVALID_ROW = "ligne invalide"
SKIP_REASONS = (NOT_ESS, CEASED, CLOSED, OUTSIDE_AREA, NOT_DISCLOSED, NATURAL_PERSON, INVALID_ROW)

UNIT_COLUMNS = (
    "siren",
    "statutDiffusionUniteLegale",
    "etatAdministratifUniteLegale",
    "categorieJuridiqueUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "denominationUniteLegale",
    "sigleUniteLegale",
    "identifiantAssociationUniteLegale",
    "activitePrincipaleUniteLegale",
    "dateCreationUniteLegale",
    "trancheEffectifsUniteLegale",
    "nicSiegeUniteLegale",
    "dateDernierTraitementUniteLegale",
)
# nomUniteLegale / prenom1UniteLegale (natural persons) are deliberately never read.
UNIT_OPTIONAL_COLUMNS = ("denominationUsuelle1UniteLegale",)

ESTABLISHMENT_COLUMNS = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "etablissementSiege",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "denominationUsuelleEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "complementAdresseEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "codeCommuneEtablissement",
    "activitePrincipaleEtablissement",
    "dateDernierTraitementEtablissement",
)
ESTABLISHMENT_OPTIONAL_COLUMNS = (
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "dateDebut",
)

__all__ = [
    "SKIP_REASONS",
    "Area",
    "Establishment",
    "FileReport",
    "ReadReport",
    "RowError",
    "Unit",
    "departement_of_commune",
    "read_establishments",
    "read_geolocation",
    "read_units",
]

GEOLOCATION_COLUMNS = ("siret", "x_longitude", "y_latitude")


def read_units(path: str | Path, *, report: ReadReport) -> Iterator[Unit]:
    """Stream the ESS units of a StockUniteLegale file (zip or CSV), counting the others."""
    with open_source(path, "un stock SIRENE des unités légales") as source:
        columns = source.columns(UNIT_COLUMNS, UNIT_OPTIONAL_COLUMNS)
        stats = report.file(source.name)
        i_siren = columns["siren"]
        i_status = columns["statutDiffusionUniteLegale"]
        i_state = columns["etatAdministratifUniteLegale"]
        i_category = columns["categorieJuridiqueUniteLegale"]
        i_ess = columns["economieSocialeSolidaireUniteLegale"]
        i_name = columns["denominationUniteLegale"]
        i_acronym = columns["sigleUniteLegale"]
        i_rna = columns["identifiantAssociationUniteLegale"]
        i_naf = columns["activitePrincipaleUniteLegale"]
        i_created = columns["dateCreationUniteLegale"]
        i_employees = columns["trancheEffectifsUniteLegale"]
        i_head_nic = columns["nicSiegeUniteLegale"]
        i_updated = columns["dateDernierTraitementUniteLegale"]
        i_usual_name = columns.get("denominationUsuelle1UniteLegale")
        codes = (
            ("catégorie juridique", i_category, 4),
            ("code NAF", i_naf, 6),
            ("numéro RNA", i_rna, 10),
            ("tranche d'effectif", i_employees, 2),
        )
        width = len(source.header)
        families = ess_families()
        name = source.name
        reader = csv.reader(source.lines, delimiter=source.delimiter)
        # Plain local counters in the hot loop; flushed into the report at the end.
        scanned = kept = not_ess = 0
        skipped: Counter[str] = Counter()
        try:
            while True:
                try:
                    for row in reader:
                        scanned += 1
                        if len(row) != width:
                            if not row:  # a blank line is no row
                                scanned -= 1
                                continue
                            skipped[INVALID_ROW] += 1
                            report.add_error(name, reader.line_num + 1, _width_message(row, width))
                            continue
                        if row[i_ess] != "O":
                            not_ess += 1
                            continue
                        siren = row[i_siren]
                        if not is_valid_siren(siren):
                            skipped[INVALID_ROW] += 1
                            report.add_error(
                                name, reader.line_num + 1, f"SIREN invalide : « {siren} »"
                            )
                            continue
                        if row[i_state] != "A":
                            skipped[CEASED] += 1
                            continue
                        category = row[i_category]
                        if category.startswith("1"):
                            skipped[NATURAL_PERSON] += 1
                            continue
                        acronym = unmask(row[i_acronym])
                        unit_name = (
                            unmask(row[i_name])
                            or (unmask(row[i_usual_name]) if i_usual_name is not None else "")
                            or acronym
                        )
                        if not unit_name and row[i_status] == "P":
                            skipped[NOT_DISCLOSED] += 1
                            continue
                        problem = row_problem(row, codes)
                        if problem:
                            skipped[INVALID_ROW] += 1
                            report.add_error(name, reader.line_num + 1, problem)
                            report.refused_sirens.add(siren)
                            continue
                        kept += 1
                        yield Unit(
                            siren=siren,
                            name=unit_name,
                            acronym=acronym,
                            legal_category=category,
                            ess_family=families.get(category) or DEFAULT_ESS_FAMILY,
                            naf_code=unmask(row[i_naf]),
                            rna=unmask(row[i_rna]),
                            created_on=parse_date(row[i_created]),
                            employees_band=unmask(row[i_employees]),
                            head_office_nic=unmask(row[i_head_nic]),
                            updated_at=unmask(row[i_updated]),
                        )
                except csv.Error as error:
                    # The C reader starts afresh on the next record: report and go on.
                    scanned += 1
                    skipped[INVALID_ROW] += 1
                    report.add_error(name, reader.line_num + 1, f"CSV illisible ({error})")
                    continue
                break
        except STREAM_ERRORS as error:
            raise source.stream_error(error, lines_read=reader.line_num + 1) from error
        finally:
            stats.scanned += scanned
            stats.kept += kept
            skipped[NOT_ESS] += not_ess
            stats.skipped.update(+skipped)


def read_establishments(
    path: str | Path,
    *,
    units: Container[str],
    report: ReadReport,
    area: Area | None = None,
    geolocation: Mapping[str, tuple[float, float]] | None = None,
    closed: bool = False,
) -> Iterator[Establishment]:
    """Stream the active establishments of the kept units from a StockEtablissement file.

    `units` is anything answering `siren in units`: the dict of kept `Unit` by SIREN, or a
    set of SIRENs. `geolocation` (from `read_geolocation`: SIRET → (latitude, longitude))
    wins over the file's own Lambert coordinates. With `closed`, the closed establishments
    of the kept units in the area come too (`is_active` False, `closed_on` the start of
    their closed period), still counted as skipped « fermé ».
    """
    with open_source(path, "un stock SIRENE des établissements") as source:
        columns = source.columns(ESTABLISHMENT_COLUMNS, ESTABLISHMENT_OPTIONAL_COLUMNS)
        stats = report.file(source.name)
        i_siren = columns["siren"]
        i_nic = columns["nic"]
        i_siret = columns["siret"]
        i_created = columns["dateCreationEtablissement"]
        i_employees = columns["trancheEffectifsEtablissement"]
        i_head_office = columns["etablissementSiege"]
        i_state = columns["etatAdministratifEtablissement"]
        i_sign = columns["enseigne1Etablissement"]
        i_usual_name = columns["denominationUsuelleEtablissement"]
        i_number = columns["numeroVoieEtablissement"]
        i_repetition = columns["indiceRepetitionEtablissement"]
        i_street_type = columns["typeVoieEtablissement"]
        i_street = columns["libelleVoieEtablissement"]
        i_complement = columns["complementAdresseEtablissement"]
        i_postal_code = columns["codePostalEtablissement"]
        i_commune_label = columns["libelleCommuneEtablissement"]
        i_commune = columns["codeCommuneEtablissement"]
        i_naf = columns["activitePrincipaleEtablissement"]
        i_updated = columns["dateDernierTraitementEtablissement"]
        i_x = columns.get("coordonneeLambertAbscisseEtablissement")
        i_y = columns.get("coordonneeLambertOrdonneeEtablissement")
        i_start = columns.get("dateDebut")
        has_lambert = i_x is not None and i_y is not None
        codes = (
            ("code commune", i_commune, 5),
            ("code NAF", i_naf, 6),
            ("tranche d'effectif", i_employees, 2),
        )
        width = len(source.header)
        name = source.name
        cursor = Cursor()
        # The prefilter drops most rows on their first 9 characters, before any CSV
        # parsing; it needs the SIREN to be the first column, as in INSEE's files.
        lines = prefilter(
            source.lines,
            cursor,
            name=name,
            wanted=units if i_siren == 0 else None,
            key_length=9,
        )
        reader = csv.reader(lines, delimiter=source.delimiter)
        scanned = kept = not_ess = 0
        skipped: Counter[str] = Counter()
        try:
            while True:
                try:
                    for row in reader:
                        scanned += 1
                        if len(row) != width:
                            if not row:
                                scanned -= 1
                                continue
                            skipped[INVALID_ROW] += 1
                            report.add_error(name, cursor.line, _width_message(row, width))
                            continue
                        siren = row[i_siren]
                        if siren not in units:
                            not_ess += 1
                            continue
                        siret = row[i_siret]
                        nic = row[i_nic]
                        if siret != siren + nic or not is_valid_siret(siret):
                            skipped[INVALID_ROW] += 1
                            report.add_error(name, cursor.line, f"SIRET invalide : « {siret} »")
                            continue
                        is_active = row[i_state] == "A"
                        commune = row[i_commune]
                        if not is_active:
                            skipped[CLOSED] += 1
                            # Closed: only to close what the directory holds, in the area.
                            if not closed or commune == MASKED:
                                continue
                            if area is not None and not area.contains(commune):
                                continue
                        elif commune == MASKED:
                            skipped[NOT_DISCLOSED] += 1
                            continue
                        elif area is not None and not area.contains(commune):
                            skipped[OUTSIDE_AREA] += 1
                            continue
                        problem = row_problem(row, codes)
                        if problem:
                            if is_active:
                                skipped[INVALID_ROW] += 1
                            report.add_error(name, cursor.line, problem)
                            report.refused_sirets.add(siret)
                            continue
                        point = geolocation.get(siret) if geolocation else None
                        if point is None and has_lambert:
                            point = to_wgs84(row[i_x], row[i_y], commune_code=commune)
                        kept += is_active
                        yield Establishment(
                            siret=siret,
                            siren=siren,
                            nic=nic,
                            name=unmask(row[i_sign]) or unmask(row[i_usual_name]),
                            address=format_street_address(
                                unmask(row[i_number]),
                                unmask(row[i_repetition]),
                                unmask(row[i_street_type]),
                                unmask(row[i_street]),
                            ),
                            address_complement=unmask(row[i_complement]),
                            postal_code=unmask(row[i_postal_code]),
                            commune_code=commune,
                            commune_label=unmask(row[i_commune_label]),
                            naf_code=unmask(row[i_naf]),
                            employees_band=unmask(row[i_employees]),
                            is_head_office=row[i_head_office].lower() == "true",
                            created_on=parse_date(row[i_created]),
                            latitude=point[0] if point else None,
                            longitude=point[1] if point else None,
                            updated_at=unmask(row[i_updated]),
                            is_active=is_active,
                            closed_on=(
                                None if is_active or i_start is None else parse_date(row[i_start])
                            ),
                            line=cursor.line,
                        )
                except csv.Error as error:
                    scanned += 1
                    skipped[INVALID_ROW] += 1
                    report.add_error(name, cursor.line, f"CSV illisible ({error})")
                    continue
                break
        finally:
            stats.scanned += scanned + cursor.dropped
            stats.kept += kept
            skipped[NOT_ESS] += not_ess + cursor.dropped
            stats.skipped.update(+skipped)


def read_geolocation(
    path: str | Path,
    *,
    sirets: Container[str] = frozenset(),
    sirens: Container[str] = frozenset(),
) -> dict[str, Coordinates]:
    """Read INSEE's geolocation file for the wanted establishments only.

    Returns SIRET → Coordinates(latitude, longitude) for the rows whose SIRET is in
    `sirets` or whose SIREN is in `sirens`, so that memory stays small; rows without
    coordinates (empty or ``[ND]``) are left out.
    """
    with open_source(path, "un fichier de géolocalisation SIRENE") as source:
        columns = source.columns(GEOLOCATION_COLUMNS)
        i_siret = columns["siret"]
        i_longitude = columns["x_longitude"]
        i_latitude = columns["y_latitude"]
        width = len(source.header)
        cursor = Cursor()
        # Give the prefilter a plain container when possible: its `in` runs in C.
        if i_siret != 0:
            wanted, key_length = None, 0
        elif not sirens:
            wanted, key_length = sirets, 14
        elif not sirets:
            wanted, key_length = sirens, 9
        else:
            wanted, key_length = _SiretFilter(sirets, sirens), 14
        lines = prefilter(
            source.lines, cursor, name=source.name, wanted=wanted, key_length=key_length
        )
        points: dict[str, Coordinates] = {}
        reader = csv.reader(lines, delimiter=source.delimiter)
        while True:
            try:
                for row in reader:
                    if len(row) != width:
                        continue
                    siret = row[i_siret]
                    if siret not in sirets and siret[:9] not in sirens:
                        continue
                    point = wgs84_point(row[i_longitude], row[i_latitude])
                    if point is not None:
                        points[siret] = point
            except csv.Error:
                continue
            break
        return points


def _width_message(row: list[str], width: int) -> str:
    return f"{len(row)} champs au lieu de {width}"


class _SiretFilter:
    """`in` test on a line start for read_geolocation: SIRET wanted, or SIREN wanted."""

    __slots__ = ("sirens", "sirets")

    def __init__(self, sirets: Container[str], sirens: Container[str]):
        self.sirets = sirets
        self.sirens = sirens

    def __contains__(self, key: str) -> bool:
        return key in self.sirets or key[:9] in self.sirens
