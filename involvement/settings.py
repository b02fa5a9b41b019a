"""Settings, all read from the environment (``.env.example`` documents every variable).

With nothing set, the project runs on its embedded default: SQLite, a Celery broker on the
filesystem and emails written to the console. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and Redis. ``DEBUG`` off is the production profile, which passes
``manage.py check --deploy --fail-level WARNING``.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Lets admin and form classes be subscripted with their model for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105 -- DEBUG only
# Rotating the key (docs/OPERATIONS.md): the old key goes here, comma-separated, for as long as
# links signed with it must keep working (invitation links: 60 days), so nobody is signed out
# and no emailed link breaks on the day of the change.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "involvement",
    "accounts",
    "volunteers",
    "sessions_app",
    "expenses",
    "feedback",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on every response to a signed-in person (personal data).
    "involvement.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffTwoFactorMiddleware",
]
# `make bench` (scripts/bench.py): every response says how many queries it ran, and two ceiling
# views answer under /bench/ (involvement.benchmarking). Never set in production.
BENCH_MODE = env.bool("BENCH_MODE", default=False)
if BENCH_MODE:
    MIDDLEWARE.insert(0, "involvement.benchmarking.QueryCountMiddleware")

ROOT_URLCONF = "involvement.urls"
WSGI_APPLICATION = "involvement.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
            "builtins": ["involvement.templatetags.formatting"],
        },
    },
    {
        # Plain-text emails and subjects: the same templates folder, without HTML escaping.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False, "builtins": ["involvement.templatetags.formatting"]},
    },
]

# Database: SQLite by default; DATABASE_URL (postgres://...) for PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'involvement.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # The web process and the Celery worker write at the same time: wait for the lock
    # instead of failing, and take the write lock at the start of each transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
else:
    # Persistent connections for gunicorn and Celery, whose threads live long; never for the
    # development server (DEBUG), which starts a thread per request, so each kept connection would
    # outlive its thread and a burst would exhaust PostgreSQL (docs/RELIABILITY.md). Behind
    # pgbouncer, set CONN_MAX_AGE=0 too: pgbouncer keeps the server connections.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: it pays off only for long analytical queries, and PostgreSQL switches it
    # on by estimated cost, so a page query it misjudges spends seconds compiling (measured at
    # 10,000 volunteers: the sessions needing attention 3.7 s, the annual report 2.2 s to 0.6 s;
    # docs/PERFORMANCE.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The connection budget (docs/RELIABILITY.md): each web thread, Celery worker process and beat holds
# at most one database connection, so per machine WEB_CONCURRENCY × WEB_THREADS (gunicorn.conf.py
# reads the same variables) + CELERY_WORKER_CONCURRENCY + 1 (beat) + DATABASE_RESERVED_CONNECTIONS
# (migrations, shells, backups, monitoring) must stay below PostgreSQL's max_connections (less its
# superuser_reserved_connections). tests/reliability/test_connections.py checks the sum.
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=3)
WEB_THREADS = env.int("WEB_THREADS", default=1)
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2)
DATABASE_RESERVED_CONNECTIONS = 10

# Cache. The default cache is what security rests on: allauth's sign-in rate limits and the
# two-factor codes already used (allauth always uses the default cache). It lives in the database
# (table involvement_cache, made by migration involvement 0003), so a Redis outage can neither lift
# a throttle nor let a code be used twice, and a database outage stops sign-in anyway. Live entries
# are never culled before a million: filling the table must not evict someone's throttle.
# CACHE_URL=rediscache://... adds a "redis" cache for data that may be lost; it degrades to
# misses while Redis is down (involvement.cache), so nothing that must hold may use it.
CACHES: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "involvement_cache",
        "OPTIONS": {"MAX_ENTRIES": 1_000_000, "CULL_FREQUENCY": 10},
    }
}
if env.str("CACHE_URL", default=""):
    CACHES["redis"] = env.cache_url("CACHE_URL")
    if CACHES["redis"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["redis"]["BACKEND"] = "involvement.cache.ResilientRedisCache"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login; verification is mandatory; sign-in by password or an
# emailed one-time code.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Involvement: "
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_ADAPTER = "accounts.adapter.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Involvement"

# Sign-in throttling (docs/RELIABILITY.md has the reasoning and the measurements). Each rate is
# "amount/window/per": per account ("key": the email, or the account for two-factor codes) strict,
# per address ("ip") generous, because a university's staff and volunteers often share one public
# address. Wrong passwords and wrong two-factor codes both count under "login_failed"; a right one
# does not. A refusal answers 429 with the time to try again (accounts.throttling). The counts
# live in the database cache (CACHES above), so they hold while Redis is down.
ACCOUNT_RATE_LIMITS = {
    # Any sign-in form post from one address.
    "login": "300/m/ip",
    # Failed sign-ins: 5 per account in 5 minutes and 20 a day; 60 a minute from one address.
    "login_failed": "60/m/ip,5/5m/key,20/1d/key",
    # Emailed sign-in codes: 3 a minute per address asked for, 60 a minute from one address.
    "request_login_code": "60/m/ip,3/m/key",
    # Password reset emails: 5 a minute per address asked for, 60 a minute from one address.
    "reset_password": "60/m/ip,5/m/key",
    "reset_password_from_key": "60/m/ip",
    "signup": "60/m/ip",
}
# The two-factor forms' refusal is a 429 page too, at sign-in and when confirming it is you.
MFA_FORMS = {
    "authenticate": "accounts.forms.TwoFactorForm",
    "reauthenticate": "accounts.forms.TwoFactorReauthenticateForm",
}
# Behind a reverse proxy, the number of proxies in front of the site that set X-Forwarded-For;
# 0 trusts no such header (then every client is counted by the proxy's address: set this).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Staff sign-ins last a working day: STAFF_SESSION_HOURS after signing in, a staff member signs in
# again (accounts.middleware). Volunteers keep Django's two weeks when they tick "remember me",
# else until the browser closes.
STAFF_SESSION_HOURS = 9

# The roles that must use two-factor authentication before any page but account pages opens.
STAFF_ROLES_REQUIRE_MFA = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
TIME_INPUT_FORMATS = ["%H:%M"]
# As involvement.formatting writes them: "Tuesday 3 March 2026" and "Tuesday 3 March 2026, 10:00".
DATE_FORMAT = "l j F Y"
DATETIME_FORMAT = "l j F Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# Plain messages and stated length limits on every form field (involvement/boundfield.py).
FORM_RENDERER = "involvement.boundfield.FormRenderer"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Email: to the console by default; EMAIL_URL=smtp://... in production, or a folder with
# EMAIL_FILE_PATH (make run writes them to var/mail when asked).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Involvement <no-reply@involvement.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_config = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email_config["EMAIL_BACKEND"]
EMAIL_HOST = _email_config.get("EMAIL_HOST", "")
EMAIL_PORT = _email_config.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email_config.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email_config.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email_config.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email_config.get("EMAIL_USE_SSL", False)
if env.str("EMAIL_FILE_PATH", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.path("EMAIL_FILE_PATH")

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport (no server).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    # The embedded default needs its folders; creating them here lets every entry point
    # (web, worker, beat, tests) start on a fresh clone.
    for _folder in (_broker_dir / "queue", _broker_dir / "processed", _broker_dir / "control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # The exchange tables, kept under var/ (kombu's default is "control/" in the working directory).
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker logs through LOGGING below (the same JSON lines, redacted), not its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
# Publishing must never hold a page up: one quick try, then the outbox sweep takes over.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Every periodic job, in one place.
CELERY_BEAT_SCHEDULE = {
    # Re-queue outbox rows still pending (their task was lost while the broker was down).
    "involvement.sweep_pending_notifications": {
        "task": "involvement.sweep_pending_notifications",
        "schedule": timedelta(minutes=5),
    },
    # Warn leads 30 days before a volunteer's check expires: early each morning, once per expiry.
    "volunteers.warn_expiring_checks": {
        "task": "volunteers.warn_expiring_checks",
        "schedule": crontab(hour=6, minute=30),
    },
    # Paused volunteers whose return date has come are active again from the start of the day.
    "volunteers.resume_returning_volunteers": {
        "task": "volunteers.resume_returning_volunteers",
        "schedule": crontab(hour=0, minute=15),
    },
    # Session reminders (7 days and 1 day before, at the session's UK wall-clock time): on the
    # quarter hours, so a reminder for a session starting on the quarter hour goes at that minute.
    "sessions_app.send_due_reminders": {
        "task": "sessions_app.send_due_reminders",
        "schedule": crontab(minute="*/15"),
    },
    # Check-ins after emotionally demanding sessions: the window is 24 to 48 hours after the end,
    # so once an hour is timely enough and never misses it.
    "sessions_app.send_due_check_ins": {
        "task": "sessions_app.send_due_check_ins",
        "schedule": crontab(minute=5),
    },
    # Unanswered invitations expire at their expiry time (at the latest the session's start):
    # every quarter hour, so the places they held are shown free again soon after.
    "sessions_app.expire_invitations": {
        "task": "sessions_app.expire_invitations",
        "schedule": crontab(minute="*/15"),
    },
    # Reimbursement runs whose task was lost (broker down) or whose worker died are queued again;
    # a run is idempotent, so resuming one that is still going does no harm.
    "expenses.resume_unfinished_runs": {
        "task": "expenses.resume_unfinished_runs",
        "schedule": timedelta(minutes=10),
    },
    # Feedback not answered after FEEDBACK_REMINDER_DAYS gets one reminder (volunteers and
    # coordinators): once a day, mid-morning, so the email arrives at a civil hour.
    "feedback.send_feedback_reminders": {
        "task": "feedback.send_feedback_reminders",
        "schedule": crontab(hour=10, minute=30),
    },
    # Paid and rejected claims of erased volunteers past FINANCE_RETENTION_YEARS are deleted: once a
    # night, at a quiet hour (the retention is counted in years, so a day's delay does not matter).
    "expenses.purge_expired_finance_records": {
        "task": "expenses.purge_expired_finance_records",
        "schedule": crontab(hour=3, minute=20),
    },
    # Every rule of the retention schedule (involvement.retention): once a night at 02:30, which
    # happens exactly once on both nights the clocks change (01:00-01:59 is skipped or repeated).
    "involvement.apply_retention": {
        "task": "involvement.apply_retention",
        "schedule": crontab(hour=2, minute=30),
    },
}

# The outbox: a row pending for longer than this is re-queued by the sweep; after this many
# failed attempts it is marked failed for support staff to look at in the admin.
NOTIFICATION_SWEEP_AFTER = timedelta(minutes=2)
NOTIFICATION_MAX_ATTEMPTS = 5

# HMRC asks for financial records to be kept six years from the end of the tax year they relate
# to: counted from the end of the tax year (5 April) in which a claim was paid or rejected, an
# erased volunteer's claims, pseudonymised, are then deleted (expenses.purge_expired_finance_records)
# and every claim's receipt files removed (involvement.retention; docs/RELIABILITY.md).
FINANCE_RETENTION_YEARS = env.int("FINANCE_RETENTION_YEARS", default=6)

# The retention schedule (involvement.retention; docs/RELIABILITY.md has the reasons). Each period
# is read by its rule when the nightly involvement.apply_retention runs.
# An application whose applicant never confirmed their email address nor signed in: deleted.
RETENTION_UNVERIFIED_APPLICATION_DAYS = env.int("RETENTION_UNVERIFIED_APPLICATION_DAYS", default=30)
# The notes on a wellbeing follow-up, this long after it was closed: deleted (the follow-up stays).
RETENTION_FOLLOW_UP_NOTE_DAYS = env.int("RETENTION_FOLLOW_UP_NOTE_DAYS", default=365)
# What an email said (the outbox row's content), this long after it was queued, once sent or failed.
RETENTION_EMAIL_CONTENT_DAYS = env.int("RETENTION_EMAIL_CONTENT_DAYS", default=90)
# The record of who was shown a volunteer's special-category data (the leads' "Who saw their details").
RETENTION_DATA_VIEW_LOG_DAYS = env.int("RETENTION_DATA_VIEW_LOG_DAYS", default=730)
# Rows each rule deletes or anonymises in one transaction.
RETENTION_BATCH = 200

# A reimbursement run pays this many claims in each transaction (their payments, statuses and
# remittances together): a crash rolls back at most one batch, which the resumed run pays again.
REIMBURSEMENT_RUN_BATCH = env.int("REIMBURSEMENT_RUN_BATCH", default=200)

# Students answer a session's anonymous feedback form from its start until this many days after it
# ends. Each address may send at most FEEDBACK_STUDENT_RATE_LIMIT answers to one session's form in a
# window of FEEDBACK_STUDENT_RATE_WINDOW seconds: generous, because a whole lecture theatre may share
# one address on the university's network.
FEEDBACK_STUDENT_DAYS = env.int("FEEDBACK_STUDENT_DAYS", default=7)
FEEDBACK_STUDENT_RATE_LIMIT = 120
FEEDBACK_STUDENT_RATE_WINDOW = 600

# Security headers, on in every profile. The Content-Security-Policy allows no inline script
# or style anywhere, so templates never use them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Cookies: never readable by scripts (no page script needs the CSRF token from a cookie: forms
# carry it), and SameSite=Lax, which keeps cross-site posts out while a link in an email still
# arrives signed in (Strict would not send the cookie on that first visit). Secure in production.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

ADMINS = [("Support", email) for email in env.list("ADMIN_EMAILS", default=[])]

# Logs go to standard error as one JSON object per line (plain lines while developing, or with
# LOG_FORMAT=plain), with email addresses and capability tokens redacted (involvement.logs;
# docs/OPERATIONS.md).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "involvement.logs.Redact"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "involvement.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint reports each step of every PDF at INFO: only its warnings (a refused URL) matter.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
