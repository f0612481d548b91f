"""Production settings: refuse to start without a real secret and host list. Served by
gunicorn behind nginx (deploy/), PostgreSQL, Redis, a Celery worker and Celery beat; see
docs/deploy.md for every variable."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, STORAGES, VAR_DIR, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set (50 characters or more) in production.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Persistent connections, checked before each request reuses one: after a PostgreSQL
# restart the first request of each process gets a fresh connection instead of an error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="redis://127.0.0.1:6379/1")
# A broker that does not answer refuses the work within about a second (the page says so in
# French, exploitation.middleware) instead of holding the request.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Long jobs (imports, PDFs): a worker takes one at a time, the others stay in the queue for
# the next free worker. (What happens to a job whose worker is killed mid-way belongs to the
# background-job base: acknowledgement, heartbeat, retry.)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Shared by the web processes and the Celery workers: the pool dashboard's summaries are
# computed by a worker and read by the pages (rapports/dashboard_selectors.py); the workers'
# heartbeats. Redis down reads as an empty cache (exploitation.cache).
CACHES = {
    "default": {
        "BACKEND": "exploitation.cache.TolerantRedisCache",
        "LOCATION": env.str("CACHE_URL", default="redis://127.0.0.1:6379/2"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}
# Files from this many rows are analysed and imported by the worker (parc/intake.py).
INTAKE_BACKGROUND_FROM = env.int("INTAKE_BACKGROUND_FROM", default=1000)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind the reverse proxy, the client's address is the one the proxy appends to
# X-Forwarded-For (django-axes counts failed logins per address: acteurs.lockout.client_address).
# TRUSTED_PROXY_COUNT is the number of proxies in front of Django, each appending the address it
# received the request from; addresses further left were written by the client and are ignored.
# Without a proxy, set TRUSTED_PROXY_COUNT=0 (REMOTE_ADDR is then the client).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# A load balancer probes over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
# The SMTP server: EMAIL_URL=smtp+tls://user:password@smtp.example.org:587 (django-environ);
# by default a relay on the server itself (port 25).
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"], _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20

# Static files: collectstatic writes hashed, compressed copies to STATIC_ROOT; nginx serves
# them (deploy/nginx/filiere.conf), whitenoise only if a request reaches gunicorn.
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Media: a directory on disk (MEDIA_ROOT, base settings), or S3-compatible object storage
# with MEDIA_STORAGE=s3 (pip install "filiere[s3]"; docs/deploy.md).
if env.str("MEDIA_STORAGE", default="disk") == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("S3_BUCKET"),
            "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID"),
            "secret_key": env.str("S3_SECRET_ACCESS_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }

# Logs: JSON lines on stderr (journald keeps them, see docs/deploy.md); one line per request
# from exploitation.middleware.RequestLogMiddleware.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "exploitation.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "exploitation": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Errors are logged by Django's own handler once, with their traceback.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Errors to a Sentry-compatible endpoint, only when a DSN is set (no personal data).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from exploitation.sentry import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default=""),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
