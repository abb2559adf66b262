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
    "porto.mail",
    "porto.sandbox",
    "porto.web",
    "porto.hooks",
    "porto.emailsettings",
    "porto.emailtexts",
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
                "porto.sandbox.context_processors.sandbox",
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
    # Connections are kept (as with DATABASE_URL): closing SQLite's last connection
    # checkpoints the WAL with an fsync, which cost every request and every task ~25 ms.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "porto.sqlite3",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    } | sqlite_options()


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
# One catalogue for the whole project (docs/i18n.md).
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["porto.formats"]
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

# --- Delivery tracking: webhook authentication and the open pixel (porto/mail/feedback) ---
# Webhook URLs exist only for the provider Porto sends through (and these retired ones, whose
# late events still count: comma-separated names such as "postmark,mailgun"), each at
# /webhooks/<provider>/<token>/ with token = HMAC(PORTO_WEBHOOK_SECRET or SECRET_KEY, provider).
# Set PORTO_WEBHOOK_SECRET to keep the URLs when SECRET_KEY changes; `manage.py webhook_urls`
# prints them.
PORTO_WEBHOOK_SECRET = os.environ.get("PORTO_WEBHOOK_SECRET", "")
PORTO_WEBHOOK_RETIRED_PROVIDERS = [
    name.strip()
    for name in os.environ.get("PORTO_WEBHOOK_RETIRED_PROVIDERS", "").split(",")
    if name.strip()
]
# Larger webhook bodies are refused (400) before they are read further.
PORTO_WEBHOOK_MAX_BODY_BYTES = int(os.environ.get("PORTO_WEBHOOK_MAX_BODY_BYTES", str(1024 * 1024)))
# Signed webhook requests (Mailgun, SendGrid, Resend, Amazon SNS: each provider's
# auth.signed_time in porto/mail/providers/<name>/) further than this from now are refused.
PORTO_WEBHOOK_MAX_AGE = int(os.environ.get("PORTO_WEBHOOK_MAX_AGE", "300"))
# Amazon SNS topics whose notifications are accepted (comma-separated ARNs); none = refuse all.
PORTO_SNS_TOPIC_ARNS = [a for a in os.environ.get("PORTO_SNS_TOPIC_ARNS", "").split(",") if a]
# A pixel load sooner than this after delivery is a machine, not a person.
PORTO_PIXEL_MACHINE_SECONDS = float(os.environ.get("PORTO_PIXEL_MACHINE_SECONDS", "10"))

# --- Email settings and texts (porto.emailsettings, porto.emailtexts) ---
# A CA bundle (PEM) trusted for SMTP/IMAP TLS besides the system ones: for a company server
# with a private CA, and for tests against a local server with a self-signed certificate.
PORTO_SMTP_CA_FILE = os.environ.get("PORTO_SMTP_CA_FILE", "")

# --- Documents as files (PDF, Peppol UBL, validation rules) ---
# The official e-invoicing rule files (UBL XSD, EN 16931 and Peppol Schematron as XSLT) are
# installed here by `manage.py einvoice_rules install`; they are not part of the repository.
PORTO_EINVOICE_RULES_DIR = Path(
    os.environ.get("PORTO_EINVOICE_RULES_DIR", VAR_DIR / "einvoice-rules")
)
# WeasyPrint reports every rendering step at INFO.
LOGGING["loggers"]["weasyprint"] = {"level": "WARNING"}  # type: ignore[index]
LOGGING["loggers"]["fontTools"] = {"level": "WARNING"}  # type: ignore[index]


# --- Mail: outbox, transports, retries (porto.mail) -----------------------------------------
# "sandbox": the embedded SMTP server (nothing leaves the machine); "provider": django-anymail
# with the ESP chosen by PORTO_ANYMAIL_BACKEND. Companies that chose "Own mailbox (SMTP)" use
# their own server whatever this says.
PORTO_MAIL_TRANSPORT = os.environ.get("PORTO_MAIL_TRANSPORT", "sandbox")
if PORTO_MAIL_TRANSPORT not in {"sandbox", "provider"}:
    raise ImproperlyConfigured(
        f"PORTO_MAIL_TRANSPORT={PORTO_MAIL_TRANSPORT!r} is not known: use 'sandbox' or 'provider'."
    )
PORTO_SANDBOX_SMTP_HOST = os.environ.get("PORTO_SANDBOX_SMTP_HOST", "127.0.0.1")
PORTO_SANDBOX_SMTP_PORT = int(os.environ.get("PORTO_SANDBOX_SMTP_PORT", "2525"))
# Platform sending: From "Acme BV" <acme-bv@send.porto.example>, Reply-To the company's address.
PORTO_PLATFORM_SENDING_DOMAIN = os.environ.get(
    "PORTO_PLATFORM_SENDING_DOMAIN", "send.porto.example"
)
# Temporary failures retry with exponential backoff (first delay, doubling, capped) for at
# most PORTO_MAIL_RETRY_FOR seconds after the first attempt, then fail with the last reason.
PORTO_MAIL_RETRY_FOR = float(os.environ.get("PORTO_MAIL_RETRY_FOR", str(24 * 3600)))
PORTO_MAIL_RETRY_FIRST_DELAY = float(os.environ.get("PORTO_MAIL_RETRY_FIRST_DELAY", "60"))
PORTO_MAIL_RETRY_MAX_DELAY = float(os.environ.get("PORTO_MAIL_RETRY_MAX_DELAY", "3600"))
# An unexpected error (a bug, data no transport can carry) is tried this many times, then the
# email fails with a plain reason instead of being retried for PORTO_MAIL_RETRY_FOR.
PORTO_MAIL_UNEXPECTED_ATTEMPTS = int(os.environ.get("PORTO_MAIL_UNEXPECTED_ATTEMPTS", "3"))
# A worker owns an email for this long; past it the sweeper hands the email to another worker.
# Longer than the slowest hand-off (SMTP timeout x steps), or a slow worker may be overtaken.
PORTO_MAIL_LEASE = float(os.environ.get("PORTO_MAIL_LEASE", "300"))
# A queued email whose wake-up task has not claimed it after this long is woken again
# (the task may have died with a killed worker).
PORTO_MAIL_WAKE_AGAIN_AFTER = float(os.environ.get("PORTO_MAIL_WAKE_AGAIN_AFTER", "600"))
PORTO_MAIL_SWEEP_INTERVAL = float(os.environ.get("PORTO_MAIL_SWEEP_INTERVAL", "15"))
PORTO_MAIL_SMTP_TIMEOUT = float(os.environ.get("PORTO_MAIL_SMTP_TIMEOUT", "20"))
# Without feedback, own-SMTP emails show In transit this long, then Unknown.
PORTO_MAIL_SMTP_IN_TRANSIT_DAYS = int(os.environ.get("PORTO_MAIL_SMTP_IN_TRANSIT_DAYS", "3"))
# The provider's data can be asked for this long after sending (retention minus a margin).
PORTO_MAIL_REFRESH_WINDOW_DAYS = int(os.environ.get("PORTO_MAIL_REFRESH_WINDOW_DAYS", "25"))
# django-anymail for PORTO_MAIL_TRANSPORT=provider, e.g.
# PORTO_ANYMAIL_BACKEND=anymail.backends.postmark.EmailBackend ANYMAIL_POSTMARK_SERVER_TOKEN=...
PORTO_ANYMAIL_BACKEND = os.environ.get(
    "PORTO_ANYMAIL_BACKEND", "anymail.backends.postmark.EmailBackend"
)
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and value
}
# Porto's own emails (password resets) go the same way: the provider, else the sandbox.
if PORTO_MAIL_TRANSPORT == "provider":
    EMAIL_BACKEND = PORTO_ANYMAIL_BACKEND
else:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = PORTO_SANDBOX_SMTP_HOST
    EMAIL_PORT = PORTO_SANDBOX_SMTP_PORT
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", f"Porto <no-reply@{PORTO_PLATFORM_SENDING_DOMAIN}>"
)

# Sandbox mail server (porto.sandbox): the embedded default mail provider and its test inbox.
# The server and its inbox run when the sandbox is the mail transport (PORTO_SANDBOX_SMTP_HOST
# and PORTO_SANDBOX_SMTP_PORT are set in the mail block above).
PORTO_SANDBOX_ENABLED = env_bool("PORTO_SANDBOX_ENABLED", PORTO_MAIL_TRANSPORT == "sandbox")
PORTO_SANDBOX_MAX_MESSAGE_BYTES = int(
    os.environ.get("PORTO_SANDBOX_MAX_MESSAGE_BYTES", str(40 * 1024 * 1024))
)
# An address containing "+defer" gets 451 for this many attempts, then is accepted.
PORTO_SANDBOX_DEFER_ATTEMPTS = int(os.environ.get("PORTO_SANDBOX_DEFER_ATTEMPTS", "2"))

# --- Web pages: overview, document page, send pop-up (porto.web) ---

# Update status and own-mailbox feedback (porto.mail.feedback.refresh, porto.mail.feedback.imap).
PORTO_REFRESH_COOLDOWN = float(os.environ.get("PORTO_REFRESH_COOLDOWN", "60"))
PORTO_REFRESH_LEASE = float(os.environ.get("PORTO_REFRESH_LEASE", "300"))
PORTO_REFRESH_POLL_INTERVAL = float(os.environ.get("PORTO_REFRESH_POLL_INTERVAL", "60"))
# How long Resend (1-7 days by plan) and a Postal server (its own setting) keep their event
# log: the Provider records (porto/mail/providers/<name>/) read these for the refresh window.
PORTO_REFRESH_RESEND_RETENTION_DAYS = int(
    os.environ.get("PORTO_REFRESH_RESEND_RETENTION_DAYS", "3")
)
PORTO_REFRESH_POSTAL_RETENTION_DAYS = int(
    os.environ.get("PORTO_REFRESH_POSTAL_RETENTION_DAYS", "30")
)
PORTO_IMAP_TIMEOUT = float(os.environ.get("PORTO_IMAP_TIMEOUT", "20"))

# An open document page asks for a fresh timeline this often (seconds).
PORTO_TIMELINE_REFRESH_SECONDS = int(os.environ.get("PORTO_TIMELINE_REFRESH_SECONDS", "30"))

# REST API (porto.api; docs/api.md) -------------------------------------------------------------
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "porto.api"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: a request without credentials gets 401 with WWW-Authenticate: Bearer.
        "porto.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the app's own pages, CSRF on
    ],
    "DEFAULT_PERMISSION_CLASSES": ["porto.api.permissions.ActsForACompany"],
    "DEFAULT_THROTTLE_CLASSES": ["porto.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "porto.api.schema.PortoAutoSchema",
    "EXCEPTION_HANDLER": "porto.api.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Porto API",
    "DESCRIPTION": "Clients, documents and their emails, for other software. See docs/api.md.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page is served from the sidecar package's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two models have a "kind": name each list of choices after its model.
    "ENUM_NAME_OVERRIDES": {
        "DocumentKindEnum": "porto.documents.models.DocumentKind",
        "ClientKindEnum": "porto.clients.models.Client.Kind",
    },
}
# Requests per token (or signed-in user), counted in the cache: "<n>/<second|minute|hour|day>".
PORTO_API_RATE = os.environ.get("PORTO_API_RATE", "600/minute")
# Larger request bodies are refused with 413 before they are read.
PORTO_API_MAX_BODY_BYTES = int(os.environ.get("PORTO_API_MAX_BODY_BYTES", str(1024 * 1024)))
# An Idempotency-Key's first answer is replayed for this long.
PORTO_API_IDEMPOTENCY_HOURS = int(os.environ.get("PORTO_API_IDEMPOTENCY_HOURS", "24"))
# Outbound webhooks (porto.hooks): an endpoint URL must be https and resolve to public
# addresses only, checked when saved and at every delivery, unless DEBUG or this is on
# (a test posting to a server on this machine).
PORTO_WEBHOOKS_ALLOW_PRIVATE = env_bool("PORTO_WEBHOOKS_ALLOW_PRIVATE", False)
# Seconds to connect to an endpoint, and again for each read of its answer.
PORTO_WEBHOOKS_TIMEOUT = float(os.environ.get("PORTO_WEBHOOKS_TIMEOUT", "10"))
