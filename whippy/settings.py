"""Settings, read from environment variables.

SQLite and DEBUG off by default; DATABASE_URL selects PostgreSQL. Each helper refuses a value it
cannot understand rather than guessing.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE
from csp.constants import SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value == "":
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "django-insecure-development-only-key"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "whippy.admin.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "sip",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.sessions.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.OrganizationTimezoneMiddleware",
    "accounts.middleware.NoStoreForAuthenticatedMiddleware",
    "accounts.middleware.SetupChangedMiddleware",
    "accounts.middleware.HtmxMessagesMiddleware",
    "accounts.middleware.TooManyWritesMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "whippy.urls"
WSGI_APPLICATION = "whippy.wsgi.application"

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
                "accounts.context_processors.organization",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]
FORM_RENDERER = "whippy.forms.FormRenderer"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and each query PostgreSQL is sent twice on a connection
    # prepared (psycopg): a page's queries are planned once per connection, not per request
    # (0.3 to 0.6 ms of a page's 5). A pooler in front must pass prepared statements on
    # (PgBouncer 1.21+: max_prepared_statements); DB_PREPARE_THRESHOLD=0 turns it off.
    prepare = envint("DB_PREPARE_THRESHOLD", 2)
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": prepare > 0,
        "prepare_threshold": prepare or None,
    }
    # What the planner thinks reading a page out of order costs, against reading the next:
    # PostgreSQL's default, 4, is a spinning disk's. With SSDs, or tables that fit in memory,
    # 1.1 is the usual value: at 4, a page of 50 attachments was joined by reading all 5,000
    # (and every domain and list) instead of 50 by key, 2 ms instead of 0.6. Empty: the
    # server's own setting.
    page_cost = os.environ.get("DB_RANDOM_PAGE_COST", "1.1").strip()
    if page_cost:
        try:
            cost = float(page_cost)
        except ValueError:
            raise ImproperlyConfigured("DB_RANDOM_PAGE_COST must be a number") from None
        DATABASES["default"]["OPTIONS"]["options"] = f"-c random_page_cost={cost}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for the lock instead of failing with "database is locked", and readers
    # do not block writers (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The test database is a file, not memory, so the SIP server the tests start
    # (deploy/kamailio/) reads what they commit. One per test run.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"whippy-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Per process: it holds setup reviews keyed by a version from the database, never the truth.
# "fragments": rendered tables keyed by the setup version (whippy/fragments.py); at most about
# 40 KB each.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "fragments": {
        "BACKEND": "whippy.fragments.FragmentCache",
        "LOCATION": "fragments",
        # A fragment's key holds all it shows (whippy/fragments.py): kept until room is needed.
        # With Django's default of five minutes, an account seen again after five minutes
        # unchanged was rendered again.
        "TIMEOUT": None,
        "OPTIONS": {"MAX_ENTRIES": envint("FRAGMENT_CACHE_ENTRIES", 1000)},
    },
}
FRAGMENT_CACHE = envbool("FRAGMENT_CACHE", True)
# Off, the fragments kept per setup version are rendered on every request, as the first view
# after a change renders them (the benchmark's cold pages); the frame, the page around the tab
# area and the blank check form, which no change of the setup touches, are still kept.
SETUP_FRAGMENT_CACHE = envbool("SETUP_FRAGMENT_CACHE", True)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Behind TLS in production. HTTPS=false serves plain HTTP (local runs, tests, the benchmark).
HTTPS = envbool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if envbool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 60 * 60)  # absolute: from sign-in
# Idle: a session unused this long is signed out (accounts/sessions.py).
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_MINUTES", 30) * 60

# Login throttling (django-axes): five failures for a username from one address lock it out for
# fifteen minutes; each lockout is logged with the username and address it locked.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The number of trusted proxies in front of the app (0: clients connect directly, and
# X-Forwarded-For is ignored). See accounts/login_throttling.py.
CLIENT_IP_PROXY_COUNT = envint("AXES_PROXY_COUNT", 0)
if CLIENT_IP_PROXY_COUNT < 0:
    raise ImproperlyConfigured("AXES_PROXY_COUNT must be 0 or more")
AXES_CLIENT_IP_CALLABLE = "accounts.login_throttling.client_ip"
AXES_CLIENT_STR_CALLABLE = "accounts.login_throttling.client_str"
# Passwords are always masked; the username and address stay readable in the lockout log.
AXES_SENSITIVE_PARAMETERS: list[str] = []

# Two-factor authentication (accounts/two_factor.py, django-otp): the name authenticator apps
# show, and the wait after each wrong code (1, 2, 4 ... seconds, per device).
OTP_TOTP_ISSUER = "Whippy"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
RECOVERY_CODES = 10
# How long a password (and code) given counts as recent: revealing or rotating SIP passwords,
# deleting a list or an account and changing a provider's API key ask again after it.
REAUTH_SECONDS = envint("REAUTH_MINUTES", 15) * 60

# Fair use (accounts/limits.py): per organization, and changes per person per minute.
MAX_ACCOUNTS_PER_ORGANIZATION = envint("MAX_ACCOUNTS_PER_ORGANIZATION", 20)
MAX_SIP_DOMAINS_PER_ORGANIZATION = envint("MAX_SIP_DOMAINS_PER_ORGANIZATION", 500)
WRITES_PER_MINUTE = envint("WRITES_PER_MINUTE", 60)
for _name in (
    "MAX_ACCOUNTS_PER_ORGANIZATION",
    "MAX_SIP_DOMAINS_PER_ORGANIZATION",
    "WRITES_PER_MINUTE",
):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more")

# The connection check's password tests, per person and per SIP user (sip/password_checks.py).
PASSWORD_CHECKS_PER_MINUTE = envint("PASSWORD_CHECKS_PER_MINUTE", 10)
# Where the connection check's "test it for real" sends its REGISTER: host:port of the SIP
# server of this deployment (a self-hosted edge, deploy/kamailio/). Empty: the SIP domain itself,
# port 5060, as a phone would. Never a host a user types.
SIP_SERVER = os.environ.get("SIP_SERVER", "")
if SIP_SERVER and not re.fullmatch(r"[\w.-]+:\d{1,5}", SIP_SERVER):
    raise ImproperlyConfigured("SIP_SERVER must be host:port, such as 127.0.0.1:5060")
if PASSWORD_CHECKS_PER_MINUTE < 1:
    raise ImproperlyConfigured("PASSWORD_CHECKS_PER_MINUTE must be 1 or more")

# Uploads (a CSV of SIP users, sip/bulk.py) stay in memory and are capped: they hold
# passwords, which must never land in a temporary file. The cap is checked by the form.
FILE_UPLOAD_HANDLERS = ["whippy.uploads.MemoryOnlyUploadHandler"]
UPLOAD_MAX_BYTES = 2 * 1024 * 1024
# (The confirmation of an import carries the checked rows back, encrypted: 1.5 MB for the
# largest file allowed, within DATA_UPLOAD_MAX_MEMORY_SIZE's default of 2.5 MB.)

# Background work (imports from Twilio, sip/imports.py): Django's tasks framework (the
# django-tasks backport) with its database backend; `manage.py db_worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Twilio's REST API (sip/twilio_api.py). The tests, and a local trial, point it at the fake.
TWILIO_API_URL = os.environ.get("TWILIO_API_URL", "https://api.twilio.com")
# Fernet keys that encrypt providers' API secrets at rest (whippy/encryption.py), separated by
# commas: the first encrypts, every one decrypts. To rotate, put a new key first, run
# `manage.py rotate_encryption_key`, then drop the old one.
ENCRYPTION_KEYS = envlist("ENCRYPTION_KEYS", [])
if not ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured("ENCRYPTION_KEYS is required when DEBUG is off")
    ENCRYPTION_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1rZXktbm90LXNlY3JldCE="]

# Content Security Policy: everything from this origin, nothing inline, no eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; its failures and lockouts are warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}
