"""Test settings: fast hashing, in-memory mail; DATABASE_URL selects PostgreSQL."""

from .base import *  # noqa: F403
from .base import TEMPLATES

SECRET_KEY = "tests-only-not-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
# Most tests log in with force_login (no second factor): the tests of the second factor turn
# the requirement on themselves (tests/acteurs/test_second_factor.py).
SECOND_FACTOR_REQUIRED = False
# A template that uses an undefined variable is a bug: make it loud in tests.
TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = "INVALID_TEMPLATE_VARIABLE<%s>"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The anonymisation journal is written only by the tests that point it at a temporary file.
EXPLOITATION_ANONYMISATION_JOURNAL = None
