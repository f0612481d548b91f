"""gunicorn settings for Filière behind nginx (deploy/nginx/filiere.conf).

Workers and threads come from the cores: Django's work per request is CPU (templates, ORM)
with short waits on PostgreSQL, so 2 × cores + 1 processes, each with a few threads to
overlap those waits and slow clients' uploads (nginx buffers them anyway). Every value can
be overridden from the environment (the systemd unit's EnvironmentFile).
"""

import multiprocessing
import os

cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * cores + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# A request that has not answered in this time is cut (nginx's proxy_read_timeout is a bit
# longer, so that the user sees gunicorn's answer rather than nginx's 504).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then: a slow leak in a library cannot grow for ever.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat files of the workers in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# nginx is the only client: it sets X-Forwarded-Proto, which Django reads
# (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# One JSON line per request comes from the application (exploitation.middleware): no
# gunicorn access log. Errors go to stderr, i.e. the journal under systemd.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "filiere-web"
