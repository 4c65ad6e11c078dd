import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "essdir.settings")

application = get_wsgi_application()

from essdir.checks import secret_key_is_set  # noqa: E402 (needs configured settings)

if errors := secret_key_is_set():
    raise ImproperlyConfigured(errors[0].msg)
