"""Development settings: the embedded default (SQLite under var/, console e-mail, eager tasks)."""

import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DEBUG", default=True)


def _development_secret_key() -> str:
    """Generate a secret on first run and keep it under var/, never in the repository."""
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()

# Serve static files straight from static/ in development, without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The demo lets a newcomer in as every role without an authenticator app: the second factor
# stays optional here (the login page and `make run` say so). SECOND_FACTOR_REQUIRED=1 turns
# the requirement on, as in production.
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=False)
