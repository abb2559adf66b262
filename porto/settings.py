"""Porto settings: every value comes from the environment, with defaults that need no services.

Embedded default: SQLite in ./var, local media, the database task worker and the sandbox
mail server. Set DATABASE_URL for PostgreSQL and PORTO_TASK_BACKEND=rq with REDIS_URL for
RQ workers on Redis.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("PORTO_DEBUG", True)
SECRET_KEY = os.environ.get("PORTO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set PORTO_SECRET_KEY: it signs sessions and public URLs.")
    SECRET_KEY = "porto-development-only-secret-key-do-not-use-in-production"

# Fernet keys (comma-separated, newest first) that encrypt SMTP/IMAP passwords at rest.
# The development default is derived from SECRET_KEY; production sets its own.
PORTO_FERNET_KEYS = [k for k in os.environ.get("PORTO_FERNET_KEYS", "").split(",") if k]

ALLOWED_HOSTS = os.environ.get("PORTO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
PORTO_BASE_URL = os.environ.get("PORTO_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "porto.accounts",
    "porto.clients",
    "porto.documents",
    "porto.sandbox",
    "porto.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "porto.urls"
WSGI_APPLICATION = "porto.wsgi.application"
ASGI_APPLICATION = "porto.asgi.application"

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
                "porto.accounts.context_processors.current_company",
            ],
        },
    },
]


def database_settings() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        config = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        if str(config["ENGINE"]).endswith("sqlite3"):
            config |= sqlite_options()
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "porto.sqlite3"} | (
        sqlite_options()
    )


def sqlite_options() -> dict:
    # Web, worker and sandbox write the same file: WAL, IMMEDIATE transactions and a busy
    # timeout keep them from meeting "database is locked".
    return {
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


DATABASES = {"default": database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PORTO_TASK_BACKEND = os.environ.get("PORTO_TASK_BACKEND", "db")


def task_settings(kind: str) -> dict:
    if kind == "db":
        return {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    if kind == "rq":
        return {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    if kind == "immediate":
        return {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    if kind == "dummy":
        return {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    raise ImproperlyConfigured(
        f"PORTO_TASK_BACKEND={kind!r} is not known: use 'db', 'rq', 'immediate' or 'dummy'."
    )


TASKS = task_settings(PORTO_TASK_BACKEND)
if PORTO_TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    RQ = {"JOB_CLASS": "django_tasks_rq.backend.Job"}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "documents"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("PORTO_MEDIA_ROOT", VAR_DIR / "media"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("PORTO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PORTO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Sandbox mail server (porto.sandbox): the embedded default mail provider and its test inbox.
PORTO_SANDBOX_ENABLED = env_bool("PORTO_SANDBOX_ENABLED", True)
PORTO_SANDBOX_SMTP_HOST = os.environ.get("PORTO_SANDBOX_SMTP_HOST", "127.0.0.1")
PORTO_SANDBOX_SMTP_PORT = int(os.environ.get("PORTO_SANDBOX_SMTP_PORT", "2525"))
PORTO_SANDBOX_MAX_MESSAGE_BYTES = int(
    os.environ.get("PORTO_SANDBOX_MAX_MESSAGE_BYTES", str(40 * 1024 * 1024))
)
# An address containing "+defer" gets 451 for this many attempts, then is accepted.
PORTO_SANDBOX_DEFER_ATTEMPTS = int(os.environ.get("PORTO_SANDBOX_DEFER_ATTEMPTS", "2"))
