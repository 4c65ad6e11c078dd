"""`SupportService.objects.serving(commune)`: the services whose zone covers the commune,
nearest zone first."""

from __future__ import annotations

from support.models import SupportService
from territories.models import Territory

TOUL = "commune-54528"
TERRES_TOULOISES = "200070563"  # the EPCI of Toul


def test_serving_lists_the_services_covering_the_commune_nearest_zone_first(
    service_maker, territory
):
    # Made in the reverse order, and with names that would sort otherwise.
    national = service_maker("A national", "france")
    departement = service_maker("B département", "54")
    epci = service_maker("C intercommunalité", TERRES_TOULOISES)
    commune = service_maker("D commune", "54528")
    service_maker("Ailleurs : Vosges", "88")
    service_maker("Ailleurs : Nancy", "54395")
    service_maker("Sans zone")

    served = list(SupportService.objects.serving(territory(TOUL)))

    assert served == [commune, epci, departement, national]
    assert [(s.zone_rank, s.zone_name) for s in served] == [
        (10, "Toul"),
        (20, "CC Terres Touloises"),
        (40, "Meurthe-et-Moselle"),
        (100, None),
    ]


def test_a_service_is_listed_once_at_its_nearest_zone(service_maker, territory):
    both = service_maker("Deux zones", "54", "54528")
    epci = service_maker("EPCI", TERRES_TOULOISES)

    assert list(SupportService.objects.serving(territory(TOUL))) == [both, epci]
    assert SupportService.objects.serving(territory(TOUL)).first().zone_rank == 10


def test_an_epci_page_is_served_by_its_own_zone_and_the_wider_ones(service_maker):
    epci = Territory.objects.get(kind="epci", code=TERRES_TOULOISES)
    on_epci = service_maker("EPCI", TERRES_TOULOISES)
    departement = service_maker("Département", "54")
    service_maker("Une commune seulement", "54528")

    assert list(SupportService.objects.serving(epci)) == [on_epci, departement]


def test_serving_is_one_query(service_maker, territory, django_assert_num_queries):
    service_maker("Un", "54528")
    service_maker("Deux", "france")
    toul = territory(TOUL)

    with django_assert_num_queries(1):
        services = list(SupportService.objects.serving(toul))
        [service.structure.name for service in services]


def test_serving_several_communes_gives_the_services_covering_any_of_them(service_maker):
    toul, flirey = Territory.objects.filter(code__in=["54528", "54200"], kind="commune")
    on_toul = service_maker("Toul", "54528")
    on_flirey = service_maker("Flirey", "54200")
    national = service_maker("National", "france")
    service_maker("Vosges", "88")

    served = list(SupportService.objects.serving([toul, flirey]))

    assert served[:2] == sorted([on_toul, on_flirey], key=lambda service: service.name)
    assert served[2:] == [national]
