"""The grants' public comparison is in the sitemap, in both languages."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_grants_comparison_is_in_the_sitemap_in_both_languages(client):
    text = client.get("/sitemap.xml").text

    assert "<loc>https://testserver/collectivites/subventions/</loc>" in text
    assert "<loc>https://testserver/en/collectivites/subventions/</loc>" in text
