"""Django settings for socmaster.

Everything that differs between a laptop demo and a production unit comes from environment
variables; the defaults are safe for local use. ``SOCMASTER_PRODUCTION=1`` switches on the
hardened profile that passes ``manage.py check --deploy``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = Path(os.environ.get("SOCMASTER_HOME", Path.cwd()))
VAR_DIR = Path(os.environ.get("SOCMASTER_VAR_DIR", PROJECT_DIR / "var"))

PRODUCTION = env_bool("SOCMASTER_PRODUCTION")
DEBUG = env_bool("SOCMASTER_DEBUG", default=False)
DEMO_MODE = env_bool("SOCMASTER_DEMO", default=False)

SECRET_KEY = os.environ.get("SOCMASTER_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SOCMASTER_SECRET_KEY must be set when SOCMASTER_PRODUCTION=1")
    # Local-only fallback; never used in production (see above).
    SECRET_KEY = "local-development-key-not-for-production-use-0123456789abcdefghijklmnop"

ALLOWED_HOSTS = env_list(
    "SOCMASTER_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver"
)
CSRF_TRUSTED_ORIGINS = env_list("SOCMASTER_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # First, so that its audited wrappers of security commands (createsuperuser, axes_reset…)
    # take those commands' names.
    "socmaster.core",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "socmaster.organisations",
    "socmaster.threats",
    "socmaster.assessments",
    "socmaster.disruptions",
    "socmaster.plans",
    "socmaster.intelligence",
    "socmaster.linkage",
    "socmaster.network",
    "socmaster.gateway",
    "socmaster.tasking",
    "socmaster.reporting",
    "socmaster.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "socmaster.core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "socmaster.core.middleware.CurrentRequestMiddleware",
    "socmaster.core.middleware.IdleSessionMiddleware",
    "socmaster.core.middleware.NoStoreMiddleware",
    # Axes must be last: it turns a lock-out into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "socmaster.urls"
WSGI_APPLICATION = "socmaster.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "socmaster.web.context_processors.socmaster",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'socmaster.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers carry on while one writer writes; IMMEDIATE avoids lock upgrades.
        # synchronous=FULL: a committed write survives a power cut, not only a crash
        # (cost measured by `python -m bench.run sqlite_durability`, docs/performance.md).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organisations.User"

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("SOCMASTER_PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # An offline strength check (zxcvbn) catches keyboard runs and repeats.
    {
        "NAME": "socmaster.core.passwords.StrengthValidator",
        "OPTIONS": {"min_score": int(os.environ.get("SOCMASTER_PASSWORD_MIN_SCORE", "3"))},
    },
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Audit chain keys and anchors -----------------------------------------------------------
# The chain is keyed with HMAC-SHA256; keys live outside the database (docs/operations.md).
# SOCMASTER_AUDIT_KEY is the current key; otherwise the first line of the key file, which is
# created (mode 0600) on first use unless SOCMASTER_PRODUCTION=1. SOCMASTER_AUDIT_KEYS lists
# retired keys (comma-separated) still needed to verify older entries; later lines of the key
# file are retired keys too. Checkpoints are appended to the anchor file.
AUDIT_KEY = os.environ.get("SOCMASTER_AUDIT_KEY", "")
AUDIT_KEYS = env_list("SOCMASTER_AUDIT_KEYS", "")
AUDIT_KEY_FILE = Path(os.environ.get("SOCMASTER_AUDIT_KEY_FILE", VAR_DIR / "audit.key"))
AUDIT_ANCHOR_FILE = Path(
    os.environ.get("SOCMASTER_AUDIT_ANCHOR_FILE", VAR_DIR / "audit-anchors.jsonl")
)

# Repeated failed log-ins (the sign-in page, /token/ and /api/token/) are throttled per user name
# and address, and per address whatever the user name (so that guessing across many names is
# throttled too), each with its own limit: core/lockout.py.
LOGIN_FAILURES_PER_USER = int(os.environ.get("SOCMASTER_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("SOCMASTER_LOGIN_FAILURES_PER_ADDRESS", "20"))
AXES_FAILURE_LIMIT = "socmaster.core.lockout.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("SOCMASTER_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions end after a period of inactivity: IdleSessionMiddleware pushes the expiry on (at most
# once a minute, so a page view does not always write to the database).
SESSION_COOKIE_AGE = int(os.environ.get("SOCMASTER_SESSION_IDLE_MINUTES", "30")) * 60
# However active, a session ends this long after it began (IdleSessionMiddleware).
SESSION_MAX_SECONDS = int(float(os.environ.get("SOCMASTER_SESSION_MAX_HOURS", "12")) * 3600)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
from whitenoise.compress import Compressor as _WhitenoiseCompressor  # noqa: E402

WHITENOISE_USE_FINDERS = not PRODUCTION
# Source maps are for developers' tools: not worth compressing twice at every collectstatic.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*_WhitenoiseCompressor.SKIP_COMPRESS_EXTENSIONS, "map")

# --- API ------------------------------------------------------------------------------------
# A filter left empty matches everything: say so, rather than "---------".
FILTERS_EMPTY_CHOICE_LABEL = "Any"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "socmaster.core.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "socmaster.core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "socmaster.core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "socmaster.core.parsers.StrictJSONParser",
        "socmaster.core.parsers.StrictFormParser",
        "socmaster.core.parsers.StrictMultiPartParser",
    ],
}
# API tokens (django-rest-knox): stored only as a hash, sent as ``Authorization: Token <key>``,
# refused this many hours after they were issued (SOCMASTER["API_TOKEN_HOURS"]); core/tokens.py
# issues them (one per user at a time) and revokes them.
API_TOKEN_HOURS = float(os.environ.get("SOCMASTER_API_TOKEN_HOURS", "24"))
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(hours=API_TOKEN_HOURS),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 1,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "socmaster API",
    "DESCRIPTION": "The SOC master list and its workflows. Every call is subject to the need-to-know "
    "access policy and is audited like the web interface.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "socmaster.organisations.choices.Role",
        "ModerationStatusEnum": "socmaster.threats.choices.ModerationStatus",
        "ProcessingStatusEnum": "socmaster.intelligence.choices.ProcessingStatus",
        "HandlingEnum": "socmaster.core.choices.Handling",
        "RequestHandlingEnum": "socmaster.gateway.choices.REQUEST_HANDLING",
        "RequestStatusEnum": "socmaster.gateway.choices.RequestStatus",
    },
}

# --- Background tasks -----------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Imports in the background (master-list uploads run as tasks; see docs/operations.md) ---
# Uploaded files wait here for the worker; rejects files are written here too.
IMPORT_DIR = Path(os.environ.get("SOCMASTER_IMPORT_DIR", VAR_DIR / "imports"))
# Rows per write transaction: others can write between batches.
IMPORT_BATCH_SIZE = max(1, int(os.environ.get("SOCMASTER_IMPORT_BATCH_SIZE", "1000")))
# Up to this many checked rows are kept in memory (about 1 KB each) for the write pass; a larger
# file is read and parsed again instead, so memory stays bounded whatever its size.
IMPORT_KEEP_CHECKED_ROWS = max(
    0, int(os.environ.get("SOCMASTER_IMPORT_KEEP_CHECKED_ROWS", "100000"))
)
# Pause between batches, so that a waiting writer gets SQLite's one write lock (SQLite's busy
# handler polls; PostgreSQL queues waiters fairly and needs no pause).
IMPORT_PAUSE_MS = int(
    os.environ.get(
        "SOCMASTER_IMPORT_PAUSE_MS",
        "100" if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else "0",
    )
)

# --- Security -------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SOCMASTER_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SOCMASTER_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Response headers: Content-Security-Policy, Permissions-Policy (no-store: NoStoreMiddleware) --
# No inline script or style anywhere: scripts and styles come from our own static files; the one
# <style> block (the printable plan) carries django-csp's per-response nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The browser features the product never uses are switched off for every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SOCMASTER_LOG_LEVEL", "WARNING")},
}

# --- Product settings -----------------------------------------------------------------------
SOCMASTER = {
    "PAGE_SIZE": 25,
    # Opening a record with restricted handling asks for a reason, remembered this long.
    "REASON_TTL_MINUTES": int(os.environ.get("SOCMASTER_REASON_TTL_MINUTES", "30")),
    # The exceptions report flags LROs with more active threats than this.
    "LRO_THREAT_LIMIT": int(os.environ.get("SOCMASTER_LRO_THREAT_LIMIT", "3")),
    # Assessments whose newest evidence is older than this many days are flagged as stale.
    "STALE_EVIDENCE_DAYS": int(os.environ.get("SOCMASTER_STALE_EVIDENCE_DAYS", "365")),
    # A disruption whose typed record date is more than this many days before the day it was
    # entered is flagged as backdated.
    "BACKDATED_DAYS": int(os.environ.get("SOCMASTER_BACKDATED_DAYS", "1")),
    # An active OCG with no approved disruption for this many days is flagged.
    "OCG_DISRUPTION_GAP_DAYS": int(os.environ.get("SOCMASTER_OCG_DISRUPTION_GAP_DAYS", "183")),
    # 4P plans: the default review period of a new plan, and the plan-quality thresholds.
    "PLAN_REVIEW_DAYS": int(os.environ.get("SOCMASTER_PLAN_REVIEW_DAYS", "90")),
    "PLAN_STALE_DAYS": int(os.environ.get("SOCMASTER_PLAN_STALE_DAYS", "60")),
    "PLAN_COPY_SIMILARITY": float(os.environ.get("SOCMASTER_PLAN_COPY_SIMILARITY", "0.7")),
    "PLAN_COPY_MIN_WORDS": int(os.environ.get("SOCMASTER_PLAN_COPY_MIN_WORDS", "25")),
    # A completed action's result needs this many meaningful words to record an outcome.
    "PLAN_RESULT_MIN_WORDS": int(os.environ.get("SOCMASTER_PLAN_RESULT_MIN_WORDS", "3")),
    # Threats with these crime types (codes) have safeguarding concerns; threats in these phases
    # are under active investigation: their plans must name the linked plans.
    "PLAN_SAFEGUARDING_CRIME_TYPES": os.environ.get(
        "SOCMASTER_PLAN_SAFEGUARDING_CRIME_TYPES", "csa,msht"
    ).split(","),
    "PLAN_INVESTIGATION_PHASES": os.environ.get(
        "SOCMASTER_PLAN_INVESTIGATION_PHASES", "Active investigation"
    ).split(","),
    # API tokens are refused this many hours after they were issued (core/tokens.py).
    "API_TOKEN_HOURS": API_TOKEN_HOURS,
    # Failed log-ins allowed per user name and address, and per address (core/lockout.py).
    "LOGIN_FAILURES_PER_USER": LOGIN_FAILURES_PER_USER,
    "LOGIN_FAILURES_PER_ADDRESS": LOGIN_FAILURES_PER_ADDRESS,
    # Background imports (set above).
    "IMPORT_DIR": str(IMPORT_DIR),
    "IMPORT_BATCH_SIZE": IMPORT_BATCH_SIZE,
    "IMPORT_PAUSE_MS": IMPORT_PAUSE_MS,
    "IMPORT_KEEP_CHECKED_ROWS": IMPORT_KEEP_CHECKED_ROWS,
    # Intelligence and SARs: the days a report may wait at each priority before it is overdue
    # ("urgent=1,high=3,normal=14,low=28"), and the risk score above which a report still not
    # triaged is flagged.
    "INTEL_SERVICE_LEVEL_DAYS": os.environ.get(
        "SOCMASTER_INTEL_SERVICE_LEVEL_DAYS", "urgent=1,high=3,normal=14,low=28"
    ),
    "INTEL_HIGH_RISK": int(os.environ.get("SOCMASTER_INTEL_HIGH_RISK", "60")),
    # The ROCU gateway: days a request may wait for a decision at each urgency before it is
    # flagged ("immediate=1,urgent=3,routine=14"; pauses for information do not count).
    "GATEWAY_DECISION_DAYS": os.environ.get(
        "SOCMASTER_GATEWAY_DECISION_DAYS", "immediate=1,urgent=3,routine=14"
    ),
    # Debriefs: due this many days after an operation ends; ends older than the look-back when
    # the product learns of them make none due.
    "DEBRIEF_DUE_DAYS": int(os.environ.get("SOCMASTER_DEBRIEF_DUE_DAYS", "28")),
    "DEBRIEF_LOOKBACK_DAYS": int(os.environ.get("SOCMASTER_DEBRIEF_LOOKBACK_DAYS", "365")),
}
