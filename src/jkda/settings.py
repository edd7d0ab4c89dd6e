"""Django settings for jkda. Everything deployment-specific comes from the environment."""

import datetime as dt
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("JKDA_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("JKDA_DEBUG", False)
SECRET_KEY = os.environ.get("JKDA_SECRET_KEY") or "insecure-dev-key-set-JKDA_SECRET_KEY-in-production"
ALLOWED_HOSTS = [h for h in os.environ.get("JKDA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_htmx",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "jkda.codes",
    "jkda.regions",
    "jkda.records",
    "jkda.access",
    "jkda.services",
    "jkda.services.exam",
    "jkda.services.clinical",
    "jkda.services.community",
    "jkda.programs",
    "jkda.programs.chronic",
    "jkda.programs.mental",
    "jkda.programs.elderly",
    "jkda.programs.child",
    "jkda.programs.maternal",
    "jkda.programs.tb",
    "jkda.indicators",
    "jkda.indicators.targets",
    "jkda.indicators.notices",
    "jkda.indicators.dashboards",
    "jkda.indicators.platform",
    "jkda.indicators.analysis",
    "jkda.portal",
    "jkda.exchange",
    "jkda.synth",
    "jkda.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jkda.access.security.SessionIdleMiddleware",
    "jkda.web.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "jkda.web.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jkda.access.audit.AuditContextMiddleware",
    "jkda.access.scope.ScopeMemoMiddleware",
    "jkda.access.security.SecurityPolicyMiddleware",
    "jkda.access.policy.AccessPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jkda.urls"
WSGI_APPLICATION = "jkda.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jkda.web.context.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'jkda.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at BEGIN so two
    # transactions never deadlock upgrading their locks (record-number allocation relies on it).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Connections are kept between requests (CONN_MAX_AGE 60, as on PostgreSQL): a new SQLite connection runs the
    # PRAGMAs above and reads the whole schema (hundreds of tables and indexes) again on its first statement.
    # Tests use a real file (not shared-cache memory) so concurrent connections lock as in production.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("JKDA_TEST_SQLITE")
        or str(Path(tempfile.gettempdir()) / f"jkda-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "regions.Staff"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # lockout after repeated failures (django-axes)
    "django.contrib.auth.backends.ModelBackend",
]
JKDA_PASSWORD_MIN_LENGTH = int(os.environ.get("JKDA_PASSWORD_MIN_LENGTH", 10))
JKDA_PASSWORD_MIN_CLASSES = int(os.environ.get("JKDA_PASSWORD_MIN_CLASSES", 3))
JKDA_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("JKDA_PASSWORD_MAX_AGE_DAYS", 90))  # 0: passwords never expire
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": JKDA_PASSWORD_MIN_LENGTH}},
    {"NAME": "jkda.access.passwords.CharacterClassesValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "residents"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = int(os.environ.get("JKDA_SESSION_SECONDS", 30 * 60))
# Idle timeout: the session expires after SESSION_COOKIE_AGE of inactivity. Its expiry is pushed forward by a save at
# most once every JKDA_SESSION_REFRESH_SECONDS (access.security.SessionIdleMiddleware), not on every request: a
# page view then writes its audit entry only.
SESSION_SAVE_EVERY_REQUEST = False
JKDA_SESSION_REFRESH_SECONDS = int(os.environ.get("JKDA_SESSION_REFRESH_SECONDS", 60))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
# Lockout (django-axes): after JKDA_LOGIN_FAILURE_LIMIT failures an account is locked for JKDA_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = int(os.environ.get("JKDA_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("JKDA_LOCKOUT_MINUTES", 30)))
# Level-3 protection locks the account; locking an address too would lock whole clinics behind one NAT.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "jkda.access.security.lockout_response"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "jkda"
# Behind HTTPS in production (JKDA_HTTPS=1): secure cookies, HSTS, redirect to https.
JKDA_HTTPS = env_bool("JKDA_HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = JKDA_HTTPS
SECURE_SSL_REDIRECT = JKDA_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if JKDA_HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if JKDA_HTTPS else None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "jkda.web.views.csrf_failure"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it; files are served from the apps
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("JKDA_LOG_LEVEL", "WARNING")},
}

# --- domain settings (DOMAIN.md: where sources differ, the choice is a setting) ---
# Record number scheme: 17 digits (5-digit serial, national default) or 16 digits (4-digit serial).
JKDA_RECORD_NUMBER_DIGITS = int(os.environ.get("JKDA_RECORD_NUMBER_DIGITS", 17))
# Version of the national form set that new forms are filled under.
JKDA_FORM_VERSION = os.environ.get("JKDA_FORM_VERSION", "2017-3")
# A TrueType/TTC font with CJK glyphs for PDF output; searched in common system places when unset.
JKDA_CJK_FONT = os.environ.get("JKDA_CJK_FONT", "")
JKDA_PAGE_SIZE = 20
# Audit entries are kept at least this many days (never less than 183: level-3 protection asks for six months).
JKDA_AUDIT_RETENTION_DAYS = int(os.environ.get("JKDA_AUDIT_RETENTION_DAYS", 183))

# Platform usage and upload statistics (indicators.platform): the monthly rules of the bureau's usage report.
# A business function is used well in an area when at least this share (percent) of the registered institutions
# used it in the month.
JKDA_PLATFORM_ACTIVE_SHARE = float(os.environ.get("JKDA_PLATFORM_ACTIVE_SHARE", 60))
# Functions judged by monthly uses per registered doctor instead (function code: uses a doctor should reach).
JKDA_PLATFORM_CLICKS_PER_DOCTOR = {"knowledge_base": 10, "remote_education": 5}
# How many document subsets each upload kind must cover (WS/T 483: 20 health-record documents; EMR: the province's
# required WS/T 500 subsets). Which subsets count is the `required` flag of the document subset catalogue.
JKDA_PLATFORM_REQUIRED_SUBSETS = {"health_record": 20, "emr": 16}

JKDA_UI_NAME = _("Resident health records")
