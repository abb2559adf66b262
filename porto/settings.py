"""Porto settings: every value comes from the environment, with defaults that need no services.

Embedded default: SQLite in ./var, local media, the database task worker and the sandbox
mail server. Set DATABASE_URL for PostgreSQL and PORTO_TASK_BACKEND=rq with REDIS_URL for
RQ workers on Redis. PORTO_DEBUG=0 is the production profile (docs/deploy.md): it needs its
configuration spelled out (secret key, database, allowed hosts) and logs JSON lines.
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
    # Before the CSRF check, which reads a POST's fields (porto/web/middleware.py says why).
    "porto.web.middleware.RequestSizeLimitMiddleware",
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
                "porto.web.banners.sending_paused",
            ],
        },
    },
]


def database_settings() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if not url and not DEBUG:
        raise ImproperlyConfigured(
            "Set DATABASE_URL (e.g. postgres://porto@db.internal:5432/porto): production never "
            "falls back to the SQLite file in the var folder."
        )
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
# STATIC_ROOT and the file storages: see the production profile block at the end.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("PORTO_MEDIA_ROOT", VAR_DIR / "media"))

# --- Security: cookies, HTTPS, headers, CSP, login throttling (docs/security.md) -----------
# Production (PORTO_DEBUG=0) refuses to start without its own keys, and passes
# `manage.py check --deploy --fail-level WARNING` (tests/test_deploy_check.py).
if not DEBUG and not PORTO_FERNET_KEYS:
    raise ImproperlyConfigured(
        "Set PORTO_FERNET_KEYS: it encrypts mailbox passwords, webhook secrets and stored API "
        "answers (the development key derived from PORTO_SECRET_KEY is not for production). "
        "Make one with: python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )
SESSION_COOKIE_HTTPONLY = True
# The send pop-up reads the CSRF cookie after a login elsewhere rotates it (static/porto/send.js).
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Pages may not be framed; the two views shown in our own iframes (a document's PDF preview,
# a sandbox email) allow their own origin with @xframe_options_sameorigin.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# A link out of Porto sends no path (document ids, tokens); the tracking pixel answers
# no-referrer itself.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
MIDDLEWARE.insert(1, "porto.lib.csp.ContentSecurityPolicyMiddleware")
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("PORTO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("PORTO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("PORTO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PORTO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("PORTO_HSTS_PRELOAD", True)
    # Behind a proxy that ends TLS: PORTO_PROXY_SSL_HEADER=X-Forwarded-Proto (the proxy must
    # set or strip it on every request) tells Django which requests came over https.
    if proxy_header := os.environ.get("PORTO_PROXY_SSL_HEADER", ""):
        SECURE_PROXY_SSL_HEADER = (
            "HTTP_" + proxy_header.upper().replace("-", "_"),
            os.environ.get("PORTO_PROXY_SSL_VALUE", "https"),
        )
# Failed logins per username, and per client address, within the window before the login form
# refuses even the right password until the window has passed (porto/accounts/throttle.py).
PORTO_LOGIN_FAILURES = int(os.environ.get("PORTO_LOGIN_FAILURES", "5"))
PORTO_LOGIN_FAILURES_PER_IP = int(os.environ.get("PORTO_LOGIN_FAILURES_PER_IP", "20"))
PORTO_LOGIN_WINDOW_MINUTES = int(os.environ.get("PORTO_LOGIN_WINDOW_MINUTES", "15"))
# Behind a proxy every request comes from the proxy: name the header it puts the client's
# address in (e.g. X-Real-IP), so the per-address count counts clients, not the proxy.
PORTO_CLIENT_IP_HEADER = os.environ.get("PORTO_CLIENT_IP_HEADER", "")
# --- End of the security block ------------------------------------------------------------

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
# Never shorter than the slowest hand-off (PORTO_MAIL_SMTP_DATA_TIMEOUT + 7 x
# PORTO_MAIL_SMTP_TIMEOUT + 10 s: porto.mail.delivery.lease_length uses the longer of the two).
PORTO_MAIL_LEASE = float(os.environ.get("PORTO_MAIL_LEASE", "300"))
# A queued email whose wake-up task has not claimed it after this long is woken again
# (the task may have died with a killed worker).
PORTO_MAIL_WAKE_AGAIN_AFTER = float(os.environ.get("PORTO_MAIL_WAKE_AGAIN_AFTER", "600"))
PORTO_MAIL_SWEEP_INTERVAL = float(os.environ.get("PORTO_MAIL_SWEEP_INTERVAL", "15"))
# Finished task results of the database backend are kept this many days, then deleted by the
# "task results" periodic job (which also marks tasks a killed worker left RUNNING as failed).
PORTO_TASK_RESULTS_KEEP_DAYS = float(os.environ.get("PORTO_TASK_RESULTS_KEEP_DAYS", "7"))
# Seconds to wait for an SMTP server's answer to a command (connect, EHLO, MAIL, RCPT, DATA)...
PORTO_MAIL_SMTP_TIMEOUT = float(os.environ.get("PORTO_MAIL_SMTP_TIMEOUT", "20"))
# ...and for its answer to the final "." of the content: 10 minutes, as RFC 5321 asks, since the
# server may be storing or scanning the message. A lost answer leaves the email "may have
# arrived"; it is sent again at most PORTO_MAIL_AMBIGUOUS_RETRIES times (0: never).
PORTO_MAIL_SMTP_DATA_TIMEOUT = float(os.environ.get("PORTO_MAIL_SMTP_DATA_TIMEOUT", "600"))
PORTO_MAIL_AMBIGUOUS_RETRIES = int(os.environ.get("PORTO_MAIL_AMBIGUOUS_RETRIES", "1"))
PORTO_MAIL_AMBIGUOUS_RETRY_DELAY = float(os.environ.get("PORTO_MAIL_AMBIGUOUS_RETRY_DELAY", "900"))
# The circuit breaker per way out (porto.mail.breaker): after this many failed sessions in a
# row (login refused, server unreachable, TLS refused; the provider's 401/403 or outage) the
# way is paused; one email tries again after PORTO_MAIL_BREAKER_PAUSE seconds, a pause that
# doubles after each failed try, up to PORTO_MAIL_BREAKER_PAUSE_MAX.
PORTO_MAIL_BREAKER_FAILURES = int(os.environ.get("PORTO_MAIL_BREAKER_FAILURES", "3"))
PORTO_MAIL_BREAKER_PAUSE = float(os.environ.get("PORTO_MAIL_BREAKER_PAUSE", "300"))
PORTO_MAIL_BREAKER_PAUSE_MAX = float(os.environ.get("PORTO_MAIL_BREAKER_PAUSE_MAX", "3600"))
# Without feedback, own-SMTP emails show In transit this long, then Unknown.
PORTO_MAIL_SMTP_IN_TRANSIT_DAYS = int(os.environ.get("PORTO_MAIL_SMTP_IN_TRANSIT_DAYS", "3"))
# The provider's data can be asked for this long after sending (retention minus a margin).
PORTO_MAIL_REFRESH_WINDOW_DAYS = int(os.environ.get("PORTO_MAIL_REFRESH_WINDOW_DAYS", "25"))
# Sending limits (porto.mail.limits, docs/limits.md): emails over a limit wait, never fail.
# The platform's provider accounts: "postmark=50/s,brevo=400/min" (a count per s, min or h);
# empty: no limit. Each company: emails a minute (0: no limit). Own SMTP servers: each
# company's "emails per minute" setting. The buckets live in Redis with the RQ backend, else
# in the database; PORTO_MAIL_LIMITS_STORE ("db" or "redis") chooses otherwise.
PORTO_MAIL_PROVIDER_RATES = os.environ.get("PORTO_MAIL_PROVIDER_RATES", "")
PORTO_MAIL_COMPANY_PER_MINUTE = os.environ.get("PORTO_MAIL_COMPANY_PER_MINUTE", "0")
PORTO_MAIL_LIMITS_STORE = os.environ.get("PORTO_MAIL_LIMITS_STORE", "")
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

# --- Production profile: static files, file storage, logs (docs/deploy.md) -----------------
# Whitenoise serves /static/ from the WSGI app itself, right after SecurityMiddleware.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
# Log lines of a signed-in user's request carry the user and company ids.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "porto.web.logging_context.LogContextMiddleware",
)
# `manage.py serve` (production) and the Dockerfile run collectstatic into this folder.
STATIC_ROOT = Path(os.environ.get("PORTO_STATIC_ROOT", VAR_DIR / "static"))
# Development: whitenoise serves the source folders as they are, so no collectstatic is needed
# and an edited stylesheet shows at the next reload. Production: collected, content-hashed,
# compressed files, served with a cache header of ten years (a new version has a new name).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Only the hashed names are kept and compressed: templates only ever link those.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
PORTO_S3_BUCKET = os.environ.get("PORTO_S3_BUCKET", "")


def file_storage_settings(bucket: str) -> dict:
    """Rendered PDFs/UBL and company logos: local files in MEDIA_ROOT, or an S3-compatible
    bucket (AWS, Scaleway, OVH, MinIO…) through django-storages when PORTO_S3_BUCKET is set.
    The bucket stays private: Porto reads the files back itself and never links to them."""
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {
        "bucket_name": bucket,
        "endpoint_url": os.environ.get("PORTO_S3_ENDPOINT_URL") or None,
        "region_name": os.environ.get("PORTO_S3_REGION") or None,
        "access_key": os.environ.get("PORTO_S3_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("PORTO_S3_SECRET_ACCESS_KEY") or None,
        "location": os.environ.get("PORTO_S3_PREFIX", ""),
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def static_storage_settings(debug: bool) -> dict:
    if debug:
        return {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    return {"BACKEND": "porto.lib.staticfiles.HashedGzipStaticFilesStorage"}


STORAGES = {
    "default": file_storage_settings(PORTO_S3_BUCKET),
    "staticfiles": static_storage_settings(DEBUG),
}

# Logs: one JSON object per line in production, with the company, document and email a line is
# about (porto/lib/logcontext.py); text lines in development.
PORTO_LOG_FORMAT = os.environ.get("PORTO_LOG_FORMAT", "text" if DEBUG else "json")
if PORTO_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(
        f"PORTO_LOG_FORMAT={PORTO_LOG_FORMAT!r} is not known: use 'text' or 'json'."
    )
LOGGING["filters"] = {"context": {"()": "porto.lib.logcontext.ContextFilter"}}
LOGGING["formatters"] = {"json": {"()": "porto.lib.logcontext.JsonFormatter"}}
LOGGING["handlers"]["console"]["filters"] = ["context"]  # type: ignore[index]
if PORTO_LOG_FORMAT == "json":
    LOGGING["handlers"]["console"]["formatter"] = "json"  # type: ignore[index]
