from django.urls import reverse, set_script_prefix
from django.utils import translation

from core.routing import cached_reverse


def test_cached_reverse_follows_the_language_and_the_script_prefix():
    try:
        paths = []
        for prefix in ("/", "/annuaire/"):
            set_script_prefix(prefix)
            for language in ("fr", "en"):
                with translation.override(language):
                    paths.append(cached_reverse("site:actor", slug="envie"))
                    assert paths[-1] == reverse("site:actor", kwargs={"slug": "envie"})
    finally:
        set_script_prefix("/")

    assert paths == [
        "/acteurs/envie/",
        "/en/acteurs/envie/",
        "/annuaire/acteurs/envie/",
        "/annuaire/en/acteurs/envie/",
    ]


def test_cached_reverse_takes_positional_and_keyword_arguments():
    assert cached_reverse("site:home") == reverse("site:home")
    assert cached_reverse("site:scheme", slug="agiren54") == "/dispositifs/agiren54/"
