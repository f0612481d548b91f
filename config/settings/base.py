"""Settings shared by every environment. Values come from the environment (django-environ)."""

import datetime as dt
from pathlib import Path

import django
import environ
from csp.constants import NONE, SELF
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Absolute base URL used in QR codes, e-mails and shared links.
SITE_BASE_URL = env.str("SITE_BASE_URL", default="http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "core.admin_site.FiliereAdminConfig",  # django.contrib.admin, with the project's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_fsm",
    "django_htmx",
    "csp",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Filière, from the ground floor up (see docs/ARCHITECTURE.md)
    "core",
    "documents",
    "acteurs",
    "dons",
    "parc",
    "intake",
    "ateliers",
    "prets",
    "rapports",
    "exploitation",
    "www",
    "api",
    "demo",
]

MIDDLEWARE = [
    # Outermost, so that its duration covers the whole stack (one JSON line per request).
    "exploitation.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: an expired session says so on the login page.
    "acteurs.middleware.SessionTimeoutMiddleware",
    "acteurs.middleware.SecondFactorMiddleware",
    "acteurs.middleware.PrivatePagesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.views.ApplicationErrorMiddleware",
    # The database, the broker or the media disk gone: a French page, not a 500.
    "exploitation.middleware.ServiceFailureMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"


def _page(url_name):
    def get_absolute_url(obj):
        return reverse(url_name, args=[obj.pk])

    return get_absolute_url


# Pages composed on the top floor (www) for models of the floors below. Those floors link and
# redirect to them through the model (``{{ household.get_absolute_url }}``,
# ``redirect(donation)``), never by naming a page above them: the project decides here.
ABSOLUTE_URL_OVERRIDES = {
    "acteurs.household": _page("www:household"),
    "dons.gisement": _page("www:gisement"),
    "dons.donation": _page("www:donation"),
}
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'filiere.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; the timeout makes a second writer wait
    # for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # An index's INCLUDE columns (device_donation_kind_state) serve PostgreSQL's index-only
    # scans; SQLite builds the index without them, as intended: no warning at each command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Memory PostgreSQL may give each sort or hash of a report query (rapports.selectors).
RAPPORTS_WORK_MEM = env.str("RAPPORTS_WORK_MEM", default="64MB")
# From this many devices, the gisement report sums the donations' precomputed device figures
# (rapports.models.DonationSummary) instead of scanning the devices; below it, live figures.
RAPPORTS_SUMMARY_FROM_DEVICES = env.int("RAPPORTS_SUMMARY_FROM_DEVICES", default=20_000)

AUTH_USER_MODEL = "acteurs.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "www:home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # The admin permissions that follow from a Filière role (the coordination's settings).
    "acteurs.auth_backends.RolePermissionBackend",
]

# --- login and sessions (docs/ARCHITECTURE.md, "Security") -------------------------------------
# Lockout (django-axes): this many failed logins on one account within the cool-off lock that
# account; an address (a CCAS desk is many people behind one address) is locked after more.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_FAILURE_LIMIT = "acteurs.lockout.failure_limit"  # reads LOGIN_FAILURES_PER_ACCOUNT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_HANDLER = "acteurs.lockout.LoginLockoutHandler"
AXES_LOCKOUT_CALLABLE = "acteurs.auth_views.lockout_response"
# The login history is not needed for the lockout: keep no record of successful logins.
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_ON_SUCCESS = False  # the handler resets the account's own failures itself
AXES_VERBOSE = False
# The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address
# the nearest one appended to X-Forwarded-For (production.py).
AXES_CLIENT_IP_CALLABLE = "acteurs.lockout.client_address"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Password reset: at most this many e-mails per address, and per client address, per hour.
PASSWORD_RESET_PER_EMAIL_PER_HOUR = env.int("PASSWORD_RESET_PER_EMAIL_PER_HOUR", default=3)
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=10)

# Sessions: an idle timeout (shorter for the roles that see households and for operators)
# and an absolute one; « poste partagé » at login ends the session when the browser closes.
SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES = env.int("SESSION_IDLE_MINUTES_HOUSEHOLD_ROLES", default=30)
SESSION_IDLE_MINUTES_OTHER_ROLES = env.int("SESSION_IDLE_MINUTES_OTHER_ROLES", default=120)
SESSION_MAX_HOURS = env.int("SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# Second factor (django-otp: TOTP, and single-use recovery codes): required for the admins of
# every organisation (the coordination included) and for superusers, optional for others.
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=True)
OTP_TOTP_ISSUER = "Filière"

LANGUAGE_CODE = "fr-fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Django's own French catalog listed again, after ours: an app's catalog outranks Django's,
# and Django REST Framework's translates four of Django's messages differently ("adresse
# e-mail" for "adresse de courriel"…). Listed here, Django's wording wins everywhere.
LOCALE_PATHS = [BASE_DIR / "locale", Path(django.__file__).resolve().parent / "conf" / "locale"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# django-import-export (admin exports): its escaping drops a leading "=" only; the resources
# also neutralise "+", "-" and "@" (documents.resources.NeutralisedExportMixin).
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Filière <ne-pas-repondre@filiere.local>"
)

# Celery: eager by default so the embedded setup needs no broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Background jobs (core.jobs): a running job silent this long is marked failed (its worker
# died); a job still waiting for a worker after the second delay too.
JOB_HEARTBEAT_TIMEOUT_S = env.int("JOB_HEARTBEAT_TIMEOUT_S", default=120)
JOB_PENDING_TIMEOUT_S = env.int("JOB_PENDING_TIMEOUT_S", default=30 * 60)
# Scheduled jobs (celery beat; cron can run the management commands of the same names).
CELERY_BEAT_SCHEDULE = {
    "core-fail-stale-jobs": {"task": "core.fail_stale_jobs", "schedule": 60},
    "rapports-refresh-pool-summaries": {
        "task": "rapports.refresh_pool_summaries",
        "schedule": 10 * 60,  # the pool dashboard's figures are at most this old
    },
    "rapports-refresh-donation-summaries": {
        "task": "rapports.refresh_stale_donation_summaries",
        "schedule": 10 * 60,  # a big gisement report's device figures are at most this old
    },
    "rapports-refresh-stale-household-summaries": {
        "task": "rapports.refresh_stale_household_summaries",
        "schedule": 10 * 60,  # a big report's households equipped are at most this old
    },
    "rapports-roll-up-stage-work": {
        "task": "rapports.roll_up_stage_work",
        "schedule": 60 * 60,  # a day is summed within the hour after it ends
    },
    "prets-send-loan-reminders": {
        "task": "prets.send_loan_reminders",
        "schedule": 24 * 60 * 60,
    },
    "prets-send-training-reminders": {
        "task": "prets.send_training_reminders",
        "schedule": 24 * 60 * 60,
    },
    "prets-expire-requests": {"task": "prets.expire_requests", "schedule": 24 * 60 * 60},
    # Personal data (acteurs.personal_data, acteurs.access_log): households without contact
    # are anonymised with every copy the apps declared, old sales lose their buyer's name;
    # access records older than a year go.
    "acteurs-anonymise-households": {
        "task": "acteurs.anonymise_households",
        "schedule": 24 * 60 * 60,
    },
    "acteurs-purge-access-log": {
        "task": "acteurs.purge_access_log",
        "schedule": 24 * 60 * 60,
    },
    # Beat's sign of life for /ready/ (exploitation/heartbeat.py).
    "exploitation-beat-tick": {
        "task": "exploitation.beat_tick",
        "schedule": 60,
        "options": {"expires": 60},
    },
    "api-retry-webhooks": {"task": "api.retry_webhooks", "schedule": 60},
    "api-loan-due-webhooks": {
        "task": "api.loan_due_webhooks",
        "schedule": 10 * 60,  # loan reminders sent since the last run, to the webhooks
    },
}

# Content-Security-Policy: everything comes from this origin; no third party, no inline code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
# A form refused by the CSRF check: the site's French page with a way back, not Django's.
CSRF_FAILURE_VIEW = "www.views.errors.csrf_failure"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Operations (exploitation/): backups, the anonymisation journal kept beside them (outside
# the database, replayed after a restore), the free space /ready/ asks of the media disk.
BACKUP_ROOT = Path(env.str("BACKUP_ROOT", default=str(VAR_DIR / "backups")))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=14)
BACKUP_PASSPHRASE = env.str("BACKUP_PASSPHRASE", default="")
BACKUP_PG_BIN_DIR = env.str("BACKUP_PG_BIN_DIR", default="")
EXPLOITATION_ANONYMISATION_JOURNAL = Path(
    env.str("ANONYMISATION_JOURNAL", default=str(BACKUP_ROOT / "anonymisations.jsonl"))
)
EXPLOITATION_MEDIA_MIN_FREE_MB = env.int("MEDIA_MIN_FREE_MB", default=1024)
# The REST API (api/, docs/api.md): session (with CSRF) for the browser, hashed tokens for
# programs; refusals as {"code", "message"}; throttled per token.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "api.authentication.CsrfSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("API_RATE_PER_TOKEN", default="1200/min"),
        "session": env.str("API_RATE_PER_SESSION", default="600/min"),
        "anonymous": env.str("API_RATE_ANONYMOUS", default="60/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.schema.FiliereAutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_VERSIONING_CLASS": None,
    # No OPTIONS metadata (405): the OpenAPI schema describes every operation.
    "DEFAULT_METADATA_CLASS": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Filière",
    "DESCRIPTION": "Le parc, les dons, les demandes, les prêts, les ateliers et les rapports "
    "de Filière, pour les programmes (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DeviceState": "parc.models.State",
        "DeviceKind": "parc.models.DeviceKind",
        "DonationState": "dons.models.DonationState",
        "RequestState": "prets.models.RequestState",
        "LoanState": "prets.models.LoanState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "SECURITY": [{"jeton": []}, {"session": []}],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "jeton": {"type": "http", "scheme": "bearer", "bearerFormat": "fil_…"},
            "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
        }
    },
    "AUTHENTICATION_WHITELIST": [],
}
# Webhook deliveries: attempts before giving up (backoff 1, 2, 4… minutes), seconds to answer.
API_WEBHOOK_ATTEMPTS = env.int("API_WEBHOOK_ATTEMPTS", default=6)
API_WEBHOOK_TIMEOUT_S = env.int("API_WEBHOOK_TIMEOUT_S", default=10)
# Only HTTPS receivers, but tests and a local receiver may allow http://127.0.0.1.
API_WEBHOOK_ALLOW_HTTP = env.bool("API_WEBHOOK_ALLOW_HTTP", default=False)

# Lists are paginated at this size.
PAGE_SIZE = 25

# Personal data (acteurs.personal_data): a household's personal data are anonymised this long
# after the last contact (RGPD, CNIL référentiel for the social sector: two years; the older
# variable PRETS_ANONYMISE_AFTER_DAYS is still read); the record of who read a household's
# data is kept one year (acteurs.access_log).
HOUSEHOLD_RETENTION_DAYS = env.int(
    "HOUSEHOLD_RETENTION_DAYS", default=env.int("PRETS_ANONYMISE_AFTER_DAYS", default=730)
)
ACCESS_LOG_RETENTION_DAYS = env.int("ACCESS_LOG_RETENTION_DAYS", default=365)

# Loan scheme (prets): a request left without follow-up expires after this many days; sales
# are accounting records (ten years, then the buyer's name goes).
PRETS_REQUEST_EXPIRY_DAYS = env.int("PRETS_REQUEST_EXPIRY_DAYS", default=60)
PRETS_SALES_RETENTION_YEARS = 10
