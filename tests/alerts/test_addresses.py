"""One spelling per mailbox: what the alerts store and what their rate limit counts."""

import importlib

import pytest
from django.apps import apps

from alerts.addresses import UnsafeAddress, normalise_email, rate_key
from alerts.models import Delivery, Subscription

QUOTES = (
    "Écrivez votre adresse sans guillemets ni barre oblique inverse (\\) : les adresses qui "
    "en ont besoin ne sont pas acceptées."
)
UNSAFE_DOMAIN = (
    "Ce nom de domaine ne s'écrit pas de façon sûre en ASCII : saisissez-le en caractères "
    "simples ou sous sa forme « xn-- »."
)


@pytest.mark.parametrize(
    ("email", "normalised"),
    [
        ("victim@example.org", "victim@example.org"),
        ('"victim"@example.org', "victim@example.org"),
        ('"v\\ictim"@example.org', "victim@example.org"),
        ('"\\v\\i\\c\\t\\i\\m"@example.org', "victim@example.org"),
        ("  Victim@EXAMPLE.org ", "victim@example.org"),
        ('"VIC\\tim"@Example.Org', "victim@example.org"),
        ('"vic.tim"@example.org', "vic.tim@example.org"),
        ("victim+alerte@example.org", "victim+alerte@example.org"),
        ("camille@exämple.org", "camille@xn--exmple-cua.org"),
        ("camille@EXÄMPLE.org", "camille@xn--exmple-cua.org"),
        ("camille@XN--EXMPLE-CUA.org", "camille@xn--exmple-cua.org"),
        # IDNA 2008's faß.de typed in ASCII: kept as typed, never turned into fass.de.
        ("camille@xn--fa-hia.de", "camille@xn--fa-hia.de"),
    ],
)
def test_spellings_of_one_mailbox_are_normalised_to_one(email, normalised):
    assert normalise_email(email) == normalised
    assert normalise_email(normalised) == normalised


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ('"vic\\ tim"@example.org', QUOTES),
        ('"vic..tim"@example.org', QUOTES),
        ('".victim"@example.org', QUOTES),
        ('"vic@tim"@example.org', QUOTES),
        ('"vic\\"tim"@example.org', QUOTES),
        ('"vic\x01tim"@example.org', QUOTES),
        ("victim@[192.0.2.1]", "Indiquez une adresse avec un nom de domaine, pas une adresse IP."),
        ("victim@faß.de", UNSAFE_DOMAIN),  # fass.de to IDNA 2003, another domain to 2008
        ("victim@ｅｘａｍｐｌｅ.org", UNSAFE_DOMAIN),
        ("victim@example", "Ce nom de domaine est mal écrit."),
        (f"{'v' * 65}@example.org", "Cette adresse est trop longue."),
        (f"victim@{'x' * 60}.{'é' * 60}.org", UNSAFE_DOMAIN),
        ("victim", "Cette adresse est mal écrite."),
    ],
)
def test_addresses_without_one_safe_spelling_are_refused(email, message):
    with pytest.raises(UnsafeAddress) as refused:
        normalise_email(email)

    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("victim@example.org", "victim@example.org"),
        ("victim+alerte@example.org", "victim@example.org"),
        ("victim+a+b@example.org", "victim@example.org"),
        ("+victim@example.org", "+victim@example.org"),
        ("v.ic.tim+x@googlemail.com", "victim@gmail.com"),
        ("v.ictim@example.org", "v.ictim@example.org"),  # dots matter elsewhere
    ],
)
def test_the_rate_limit_counts_mailboxes(address, key):
    assert rate_key(address) == key


@pytest.mark.django_db
def test_stored_addresses_are_normalised_and_duplicates_merged():
    def alert(email, query="q=velo", **fields):
        return Subscription.objects.create(
            email=email, search_list="acteurs", query=query, **fields
        ).pk

    since = "2026-11-01T00:00Z"
    confirmed = alert('"victim"@example.org', confirmed_at=since, sent_until=since)
    Delivery.objects.create(
        subscription_id=confirmed,
        period="2026-W48",
        window_start=since,
        window_end=since,
    )
    duplicate = alert("victim@example.org")
    other_search = alert('"v\\ictim"@example.org', query="q=bois")
    international = alert("camille@exämple.org")
    unsafe = alert('"vic tim"@example.org')
    migration = importlib.import_module("alerts.migrations.0003_normalise_addresses")

    migration.normalise_addresses(apps, None)

    assert dict(Subscription.objects.values_list("pk", "email")) == {
        confirmed: "victim@example.org",
        other_search: "victim@example.org",
        international: "camille@xn--exmple-cua.org",
        unsafe: '"vic tim"@example.org',
    }
    assert not Subscription.objects.filter(pk=duplicate).exists()
    assert Delivery.objects.get().subscription_id == confirmed
