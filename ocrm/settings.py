"""Django settings for the OCRM. Everything that differs between machines comes from
the environment (see README: Configuration)."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from ocrm.env import BASE_DIR, VAR_DIR, env_bool, parse_database_url

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Reverse proxies (addresses or networks, e.g. "10.0.0.5,10.1.0.0/16") whose X-Forwarded-For the
# audit log believes; with none, the log records the connecting address (REMOTE_ADDR).
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("OCRM_TRUSTED_PROXIES", "").split(",") if p.strip()]

INSTALLED_APPS = [
    "ocrm.admin_site.OcrmAdminConfig",  # Django admin with the scoped "view on site" (ocrm/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "guardian",
    "django_tables2",
    "django_filters",
    "django_celery_beat",
    "django_countries",
    "django_otp",  # the second factor (sysadmin.accounts.mfa)
    "django_otp.plugins.otp_totp",
    "ocrm",
    "sysadmin",
    "customers",
    "marketing",
    "workbench",
    "crossborder",
    "reports",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    "ocrm.monitoring.middleware.RequestIdMiddleware",
    "ocrm.monitoring.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ocrm.middleware.RequestContextMiddleware",
    "ocrm.middleware.NotVisibleMiddleware",
    "sysadmin.accounts.middleware.UserPreferencesMiddleware",
    "sysadmin.accounts.middleware.SessionPolicyMiddleware",
    "sysadmin.accounts.middleware.SecondFactorMiddleware",
]

ROOT_URLCONF = "ocrm.urls"
WSGI_APPLICATION = "ocrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(BASE_DIR, "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ocrm.navigation.navigation",
                "ocrm.notifications.services.context_processor",
            ],
            "builtins": ["ocrm.templatetags.ocrm_tags"],
        },
    },
]

DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/ocrm"))}
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parallel developers/CI runs on one server keep their test databases apart.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME") or None}
# Report queries may read from a PostgreSQL replica (reports.snapshots.router; docs/reports.md):
# REPORTS_DATABASE_URL names it; in tests it mirrors the test database.
if os.environ.get("REPORTS_DATABASE_URL"):
    DATABASES["reports"] = parse_database_url(os.environ["REPORTS_DATABASE_URL"])
    DATABASES["reports"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["reports"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["reports"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["reports.snapshots.router.ReportsRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "ocrm")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}
# Web nodes stay stateless: sessions live in Redis.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# No session outlives a working day: the cookie and the cached session expire after this many
# hours, and SessionPolicyMiddleware ends the log-in at the bank's session.max_hours (at most this).
SESSION_MAX_HOURS = int(os.environ.get("OCRM_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
OTP_TOTP_ISSUER = "OCRM"  # the name an authenticator app shows beside the account

AUTH_USER_MODEL = "sysadmin.Staff"
OCRM_TENANT_MODEL = "sysadmin.Bank"  # the kernel reads the bank through ocrm.tenants
AUTHENTICATION_BACKENDS = [
    "sysadmin.accounts.auth.LockoutAwareBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "sysadmin.accounts.passwords.CharacterClassValidator"},
    {"NAME": "sysadmin.accounts.passwords.PasswordReuseValidator", "OPTIONS": {"history": 5}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user object

LANGUAGE_CODE = os.environ.get("OCRM_LANGUAGE_CODE", "zh-hans")  # the default before a user chooses
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [os.path.join(BASE_DIR, "locale")]
FORMAT_MODULE_PATH = ["ocrm.formats"]  # zh_Hans amounts with thousands separators
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.path.join(VAR_DIR, "staticfiles")
STATICFILES_DIRS = [os.path.join(BASE_DIR, "static")]
MEDIA_URL = "media/"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", os.path.join(VAR_DIR, "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Personal data at rest (ocrm/pii.py). Empty = derived from SECRET_KEY, fine for development;
# production sets both and never changes them with SECRET_KEY (hashes and ciphertexts depend on them).
PII_HASH_KEY = os.environ.get("OCRM_PII_HASH_KEY", "")
PII_ENCRYPTION_KEY = os.environ.get("OCRM_PII_ENCRYPTION_KEY", "")  # a Fernet key (32 url-safe base64 bytes)

# Organisation-data import: the inbox the batch layer watches, and the XLSX safety limits (the upload
# size limit is the per-bank parameter import.max_upload_bytes).
IMPORT_INBOX_DIR = os.environ.get("OCRM_IMPORT_INBOX", os.path.join(VAR_DIR, "inbox"))
# Source-system feed files: <OCRM_FEED_INBOX>/<BANK_CODE>/<SOURCE>_<feed>_<YYYYMMDD>.csv|xlsx (docs/feeds.md).
OCRM_FEED_INBOX = os.environ.get("OCRM_FEED_INBOX", os.path.join(VAR_DIR, "feeds-inbox"))
# Backups (docs/backup.md): where backup_data and the nightly backup write; the folder of pg_dump and
# pg_restore of the server's version when neither the embedded PostgreSQL's nor the system's fit.
OCRM_BACKUP_DIR = os.environ.get("OCRM_BACKUP_DIR", os.path.join(VAR_DIR, "backups"))
OCRM_PG_BIN = os.environ.get("OCRM_PG_BIN", "")
IMPORT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # an XLSX unpacking to more is a zip bomb
IMPORT_MAX_COMPRESSION_RATIO = 100
IMPORT_INBOX_SETTLE_SECONDS = 10  # a file still being written is left for the next scan
IMPORT_SYNC_APPLY_MAX_ROWS = 1000  # larger batches are applied by a background job
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Celery: a real worker on Redis; late acknowledgement so a killed worker's job runs again.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "ocrm")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged job of a killed worker is handed out again after this long: above the longest
    # job (a million-record feed load with its matching, about 10 minutes), so a busy job is rarely
    # handed out twice (that delivery finds the run locked and retries later). docs/jobs.md.
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "1800")),
}
# Sweep for such messages often enough for the visibility timeout to mean what it says
# (kombu's default scans only every 100 s); the scan is one small Redis ZRANGE.
CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] = max(
    1, min(10, CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] // 2)
)
CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"] = 1
CELERY_BEAT_SCHEDULER = "ocrm.monitoring.beat:HeartbeatScheduler"  # the database scheduler, recording its ticks
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_PAGE_RANGE = 8

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Logs: one JSON object a line (ocrm.monitoring.logs), each with the request id of the request or
# the task it belongs to; OCRM_LOG_FORMAT=text gives plain lines for a person at a terminal.
LOG_FORMAT = os.environ.get("OCRM_LOG_FORMAT", "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ocrm.monitoring.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "ocrm.monitoring.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "text" if LOG_FORMAT == "text" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "ocrm": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "celery": {"level": os.environ.get("LOG_LEVEL", "INFO")},
    },
}
# Celery keeps Django's logging (the JSON lines above) instead of installing its own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Monitoring: the bearer token that unlocks /healthz's details and /metrics (empty: neither is
# served to anyone; see docs/operations.md).
OCRM_MONITORING_TOKEN = os.environ.get("OCRM_MONITORING_TOKEN", "")
# How long /healthz waits for a Celery worker to answer each of its two pings (seconds).
OCRM_HEALTH_PING_SECONDS = float(os.environ.get("OCRM_HEALTH_PING_SECONDS") or 1.5)

# Content-Security-Policy (Django's own middleware): scripts only from our static files, never
# inline (a stored XSS payload cannot run); inline style attributes stay allowed (Bootstrap,
# htmx and Chart.js set them).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Production (OCRM_ENV=production): HTTPS only, behind a reverse proxy that terminates TLS and
# sets X-Forwarded-Proto (docs/operations.md). `manage.py check --deploy` is clean with it.
PRODUCTION = os.environ.get("OCRM_ENV", "development") == "production"
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when OCRM_ENV=production.")
    if "SECRET_KEY" not in os.environ:
        raise ImproperlyConfigured("OCRM_ENV=production needs SECRET_KEY from the environment.")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes of the load balancer and Prometheus may speak plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

OCRM_PRODUCT_NAME = _("OCRM")

# The channel API (workbench/channelapi, docs/channel-api.md): channels authenticate by signature only.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["workbench.channelapi.authentication.ChannelSignatureAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
# The channel API's look-up and summary are plain APIViews without serializers yet: the schema
# lists them without bodies, and drf-spectacular says so in every system check. Until they carry
# serializers (issue 16, left open), those two schema warnings stay out of check --deploy.
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", [])]
SPECTACULAR_SETTINGS = {
    "TITLE": "OCRM channel API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
