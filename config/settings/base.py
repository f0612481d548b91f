"""Settings shared by every environment. Values come from the environment (django-environ)."""

from pathlib import Path

import django
import environ
from csp.constants import NONE, SELF
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
    "django.contrib.admin",
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
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.views.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
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
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
    "prets-send-loan-reminders": {
        "task": "prets.send_loan_reminders",
        "schedule": 24 * 60 * 60,
    },
    "prets-expire-requests": {"task": "prets.expire_requests", "schedule": 24 * 60 * 60},
    "prets-anonymise-households": {
        "task": "prets.anonymise_households",
        "schedule": 24 * 60 * 60,
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
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag instead
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

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

# Loan scheme (prets): a request left without follow-up expires after this many days; a
# household's personal data are anonymised this long after the last contact (RGPD, CNIL
# référentiel for the social sector: two years); sales are accounting records (ten years).
PRETS_REQUEST_EXPIRY_DAYS = env.int("PRETS_REQUEST_EXPIRY_DAYS", default=60)
PRETS_ANONYMISE_AFTER_DAYS = env.int("PRETS_ANONYMISE_AFTER_DAYS", default=730)
PRETS_SALES_RETENTION_YEARS = 10
