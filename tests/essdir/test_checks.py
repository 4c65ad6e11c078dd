from essdir.checks import E001, secret_key_is_set


def test_serving_without_a_secret_key_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = False

    assert [error.id for error in secret_key_is_set()] == [E001]


def test_a_secret_key_from_the_environment_passes(settings):
    settings.DEBUG = False
    settings.SECRET_KEY_FROM_ENV = True

    assert secret_key_is_set() == []


def test_every_scoped_model_states_its_ownership_rule():
    from essdir.checks import ownership_rules

    assert ownership_rules() == []


def test_a_scoped_model_without_ownership_rule_fails_at_start_up(monkeypatch):
    from django.contrib.auth.models import Group

    from essdir import checks

    monkeypatch.setattr(checks, "scoped_models", lambda: {Group})

    assert [(error.id, error.obj) for error in checks.ownership_rules()] == [(checks.E002, Group)]


def test_scoped_models_cover_published_records_and_scoped_admins():
    from actors.models import Actor, ActorProposal
    from essdir.checks import scoped_models
    from events.models import Event
    from grants.models import Grant, GrantFile
    from territories.models import Budget, Collectivite, Contact, Scheme, StaffMembership

    assert scoped_models() == {
        Actor,
        ActorProposal,
        Budget,
        Collectivite,
        Contact,
        Event,
        Grant,
        GrantFile,
        Scheme,
        StaffMembership,
    }
