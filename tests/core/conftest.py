import pytest

from tests.factories import CollectiviteFactory, SchemeFactory


@pytest.fixture
def two_collectivites():
    """Two collectivités: the first carries schemes B, A and C, the second D."""
    first, second = CollectiviteFactory(), CollectiviteFactory()
    for name in ["Statement B", "Statement A", "Statement C"]:
        SchemeFactory(name=name, collectivite=first)
    SchemeFactory(name="Statement D", collectivite=second)
    return first, second
