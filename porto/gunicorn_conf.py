"""Gunicorn's settings for Porto: `gunicorn -c porto/gunicorn_conf.py porto.wsgi` (the
Procfile, the container) and the web child of `manage.py serve`. Read from the environment
like porto/settings.py; every variable is in docs/deploy.md.

gthread workers: a request mostly waits on the database, Redis or an SMTP test send, so a few
threads per process serve more requests than more processes would, in less memory (a worker
holds Django, WeasyPrint and the e-invoice rules)."""

import os


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_workers(cores: int | None) -> int:
    """Two processes per core, at least 2 (one busy rendering a PDF never blocks the site),
    at most 8: past that, add machines behind the load balancer instead."""
    return max(2, min(8, 2 * (cores or 1)))


def json_logging() -> dict:
    """Gunicorn's own lines (start, worker restarts, errors) in the same JSON shape as the
    app's (porto/lib/logcontext.py), on stderr."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "porto.lib.logcontext.JsonFormatter"}},
        "handlers": {"console": handler, "error_console": handler},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }


production = not env_bool("PORTO_DEBUG", True)
wsgi_app = "porto.wsgi:application"
# Django is imported once, before the workers fork: they start at once and share its memory.
# Nothing opens a connection or a thread at import, so the forked workers share no socket.
preload_app = True
bind = [os.environ.get("PORTO_ADDRESS", "127.0.0.1:8000")]
worker_class = "gthread"
workers = int(os.environ.get("PORTO_WEB_WORKERS") or 0) or default_workers(os.cpu_count())
threads = int(os.environ.get("PORTO_WEB_THREADS", "4"))
# A request slower than this is a stuck worker: it is killed and replaced.
timeout = int(os.environ.get("PORTO_WEB_TIMEOUT", "60"))
# Requests in flight get this long to finish on SIGTERM (a deploy) before workers are killed.
graceful_timeout = int(os.environ.get("PORTO_WEB_GRACEFUL_TIMEOUT", "20"))
# Workers are replaced now and then, so memory a library keeps never adds up.
max_requests = 2000
max_requests_jitter = 200
# The proxy in front (load balancer, Caddy, nginx) whose X-Forwarded-* headers are believed.
forwarded_allow_ips = os.environ.get("PORTO_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No access log by default (the load balancer has one); PORTO_WEB_ACCESS_LOG=1 for a short one.
accesslog = "-" if env_bool("PORTO_WEB_ACCESS_LOG") else None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)sB %(M)sms'
errorlog = "-"
if os.environ.get("PORTO_LOG_FORMAT", "json" if production else "text") == "json":
    logconfig_dict = json_logging()
