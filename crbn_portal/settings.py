"""Settings, read from the environment (twelve-factor) with safe local defaults.

Local default: a SQLite file and a filesystem Celery broker under ``var/``, so ``make run`` needs no server.
``DJANGO_ENV=production`` turns the defaults off: the secret key and allowed hosts must be given and DEBUG
must be off, or the process refuses to start.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
VAR_DIR = Path(env.str("CRBN_VAR_DIR", default=str(BASE_DIR / "var")))

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}.")
if not PRODUCTION:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # local database, secret key and broker live here


def _local_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts; never used in production."""
    from django.core.management.utils import get_random_secret_key

    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])

if PRODUCTION:
    if not SECRET_KEY:
        raise ImproperlyConfigured("Production mode needs SECRET_KEY in the environment.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production mode needs ALLOWED_HOSTS in the environment.")
    if DEBUG:
        raise ImproperlyConfigured("Production mode refuses DEBUG=on: it would show tracebacks to users.")
    if "DATABASE_URL" not in env:
        raise ImproperlyConfigured("Production mode needs DATABASE_URL: the embedded SQLite file is for development.")
elif not SECRET_KEY:
    SECRET_KEY = _local_secret_key()

# Keys the registry's pseudonyms and per-patient date shifts; rotating it changes every registry ID, so a
# deployment sets its own and keeps it (it falls back to SECRET_KEY, which may rotate independently).
REGISTRY_SECRET = env.str("REGISTRY_SECRET", default="") or SECRET_KEY

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the Swagger UI's files, served from static: no CDN
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "crbn_portal.apps.CrbnPortalConfig",
    "patients",
    "variants",
    "rules",
    "reports",
    "cohort",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crbn_portal.outage.DatabaseOutageMiddleware",  # a lost database is a 503 with a plain message
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crbn_portal.middleware.CurrentRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires: it answers locked-out logins
]

ROOT_URLCONF = "crbn_portal.urls"
WSGI_APPLICATION = "crbn_portal.wsgi.application"

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
                "crbn_portal.context_processors.user_institutions",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# A persistent connection is checked before reuse, so one that died with a database restart is replaced, not
# reported as an error; 0 (the default) opens one connection per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["crbn_portal.lockout.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
# Lockout (django-axes): failed logins and failed signing passwords count together, per username and address,
# so a stranger guessing at one account cannot lock its owner out from another workstation.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="CRBN Portal")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "patients:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
USE_I18N = True
USE_TZ = True  # stored in UTC; shown in TIME_ZONE
TIME_ZONE = env.str("TIME_ZONE", default="UTC")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start when it is missing
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Celery: JSON only; a task is acknowledged after it ran, so a killed worker's task is redelivered. ---
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"

# --- Page cache (crbn_portal/page_cache.py): rendered parts of busy pages, kept in each process, valid while the
# generation in Redis is unchanged. Without Redis (the embedded default) nothing is cached.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "page_parts": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "page-parts",
        "OPTIONS": {"MAX_ENTRIES": env.int("PAGE_CACHE_ENTRIES", default=500)},
    },
}
if REDIS_URL:
    CACHES["page_generation"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that does not answer costs a request a quarter of a second, then the page is built uncached.
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND", default=REDIS_URL or f"file://{CELERY_FILESYSTEM_DIR / 'results'}"
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("queue", "processed", "results", "control"):
        (CELERY_FILESYSTEM_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "queue"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "queue"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),  # broadcast messages; default is the cwd
    }
else:
    # With late acks a task taken by a worker that dies is redelivered once this timeout passes; keep it above
    # the hard time limit so a long task is never handed to a second worker while the first still runs it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # with late acks, a worker holds one task at a time
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue("default"), Queue("render")]  # render: PDF reports and board packets
CELERY_TASK_ROUTES = {"reports.tasks.render_*": {"queue": "render"}}
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"

# --- The sweeper (docs/operations.md): a job row left "queued" or "running" after its message was lost is queued
# again, and after CRBN_SWEEP_MAX_ATTEMPTS re-queues it fails with a reason its page shows. "Running" must outlast
# the hard time limit (the worker is killed by then) and should outlast the visibility timeout too, so a killed
# worker's own redelivery gets its chance first.
CRBN_SWEEP_EVERY_SECONDS = env.int("CRBN_SWEEP_EVERY_SECONDS", default=300)
CRBN_SWEEP_QUEUED_AFTER_SECONDS = env.int("CRBN_SWEEP_QUEUED_AFTER_SECONDS", default=900)
CRBN_SWEEP_RUNNING_AFTER_SECONDS = env.int("CRBN_SWEEP_RUNNING_AFTER_SECONDS", default=3600)
CRBN_SWEEP_MAX_ATTEMPTS = env.int("CRBN_SWEEP_MAX_ATTEMPTS", default=3)
if CRBN_SWEEP_RUNNING_AFTER_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CRBN_SWEEP_RUNNING_AFTER_SECONDS must exceed CELERY_TASK_TIME_LIMIT, or a job still running would be "
        "queued a second time."
    )
# Each app owns its sweep task; they are named here, not imported (crbn_portal depends on no app). A sweep that no
# worker took within one interval expires: the next one does the same work.
CELERY_BEAT_SCHEDULE = {
    f"sweep-{name}": {
        "task": task,
        "schedule": CRBN_SWEEP_EVERY_SECONDS,
        "options": {"expires": CRBN_SWEEP_EVERY_SECONDS},
    }
    for name, task in (("parse-runs", "variants.tasks.sweep_parse_runs"), ("renders", "reports.tasks.sweep_renders"))
}

REST_FRAMEWORK = {
    # Sessions for the browser, per-user API tokens for lab systems (Authorization: Token <secret>).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token class first: its WWW-Authenticate header makes a call without credentials a 401 (HTTP's
        # "who are you?"), not a 403 ("you may not"); a browser's session still authenticates.
        "crbn_portal.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "crbn_portal.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "crbn_portal.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRBN Portal API",
    "DESCRIPTION": "Patients, samples, variant files, alterations, assessments and relapse reports of the "
    "institutions the caller belongs to (a token: of its one institution).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",  # operations grouped by resource (patients, samples...), not all under "v1"
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},  # no call to the public validator
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"StageEnum": "patients.models.Patient.Stage"},  # ISS and R-ISS share one scale
}

# Uploads: keep large files on disk, never in memory. Limits a lab file must stay within (bytes).
CRBN_UPLOAD_MAX_BYTES = env.int("CRBN_UPLOAD_MAX_BYTES", default=2 * 1024**3)
CRBN_MAX_LINE_BYTES = env.int("CRBN_MAX_LINE_BYTES", default=1_000_000)
CRBN_MAX_INFLATED_BYTES = env.int("CRBN_MAX_INFLATED_BYTES", default=200 * 1024**3)
# The laboratory named on every signed report's header.
CRBN_LAB_NAME = env.str("CRBN_LAB_NAME", default="CRBN Portal demonstration laboratory")
CRBN_LAB_ADDRESS = env.str("CRBN_LAB_ADDRESS", default="Demonstration data only — not a clinical laboratory")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: scripts and stylesheets come from the portal's own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step at INFO; a render worker needs its warnings only.
    # django-axes logs every successful login's counter reset at INFO; failures and lockouts are WARNING.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
