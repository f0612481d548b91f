"""gunicorn settings for Filière behind nginx (deploy/nginx/filiere.conf).

Workers come from the cores: Django's work per request is CPU (templates, ORM) with short
waits on PostgreSQL, so 2 × cores + 1 processes; nginx buffers slow clients' uploads and
downloads, so a worker is never held by a slow phone. Sync workers by default: the work is
CPU, which threads do not add to. Threads (GUNICORN_THREADS > 1, gthread) are safe: django-fsm-2's
``refresh_from_db`` lifts the state field's protection for the whole process, which made two
threads refreshing a device fail (found by tests/exploitation/test_faults.py under 4 threads);
``core.statemachine.StatefulModel`` reloads without touching the shared flag. Every value can be
overridden from the environment (the unit's EnvironmentFile).
"""

import multiprocessing
import os

cores = multiprocessing.cpu_count()

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * cores + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
worker_class = "gthread" if threads > 1 else "sync"
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
