from essdir.checks import E001, secret_key_is_set


def test_serving_without_a_secret_key_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = False

    assert [error.id for error in secret_key_is_set()] == [E001]


def test_a_secret_key_from_the_environment_passes(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = True

    assert secret_key_is_set() == []
