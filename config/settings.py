"""Settings for the course player.

Every setting that differs between a laptop and production comes from an
environment variable; the defaults are safe for local development only.
"""

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from config.cache import cache_settings, cache_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for (`make dev`): the site as its users see it, with its own error
# pages, never Django's technical ones listing the URLs and settings.
DEBUG = env_bool("DJANGO_DEBUG", False)

# Servers set DJANGO_SECRET_KEY (the same on every server; gunicorn.conf.py refuses to
# start without it) and `make run` passes the one it keeps in the git-ignored
# .secret_key. Without one, development (DEBUG on) uses a fixed key, and anything else
# (the tests, a management command) a random key for this process only: everything
# still starts, and nothing is signed with a key published in this file.
_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or (
    _DEV_SECRET_KEY if DEBUG else secrets.token_urlsafe(50)
)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    # Accounts (issue 10): django-axes counts failed logins per username and IP.
    "axes",
    # Single sign-on (issue 10; accounts/sso.py): django-allauth's OpenID Connect provider.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "accounts",
    # The apps' layers, lowest first, are in docs/architecture.md.
    "common",
    "courses",
    "lessons",
    "quizzes",
    # The course-progress rule and the learner's player pages (issue 22).
    "progress",
    # The content format: import_content / export_content (issue 22).
    "authoring",
    # Trainers (issue 11): teams, assignments, dashboard, reminders, analytics.
    "training",
    # Learning paths, compliance and the audit log (issue 23), above training.
    "paths",
    "compliance",
    "audit",
]

MIDDLEWARE = [
    # Production (config/request_log.py): first, so it times and logs every response,
    # the refusals and redirects of the middleware below included.
    "config.request_log.RequestLog",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Production (config/headers.py): Content-Security-Policy and Permissions-Policy on
    # every response from here in (static files need neither).
    "config.headers.SecurityHeaders",
    # Control characters and malformed admin action ids get a 400 before sessions,
    # views or the database see them; also gives MalformedInput's 400 its message.
    "config.middleware.RefuseMalformedInput",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of every page: the learner's choice kept in the session, otherwise
    # Django's LocaleMiddleware rules (cookie, Accept-Language). No URL prefixes.
    "accounts.language.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The audit log (audit/context.py): who acts and from which address, for the
    # events the view writes; reads nothing unless one is written.
    "audit.middleware.AuditContextMiddleware",
    # Every page needs a signed-in user unless its view says otherwise.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Production (config/errors.py): the site's page for an empty 405; after auth and
    # messages, since the page shows the navigation.
    "config.errors.MethodNotAllowedPage",
    # Signs out after a spell of inactivity: its __call__ runs before any view and
    # before LoginRequiredMiddleware's check (a process_view), and after messages.
    "accounts.sessions.IdleSessionMiddleware",
    # Single sign-on: allauth needs it for every request; it also turns the refusal of a
    # sign-in by accounts/sso.py (an ImmediateHttpResponse) into that response.
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Accounts (issue 10): turns a refused login of a locked-out username and IP into
    # the lockout page (429); axes wants it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE and LANGUAGES: <html lang>, the language switcher.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # show_trainer_link: the navigation's one permission question, cached.
                "training.navigation.navigation",
                # Single sign-on: the login page's "Sign in with ..." button (no queries).
                "accounts.sso.sso_context",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite is the embedded default; production sets a postgres:// URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so two requests racing on the
    # same rows queue up instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

# Cache and sessions (scale-out, issue 10; config/cache.py). CACHE_URL (or REDIS_URL)
# names one Redis shared by every app server: redis://host:6379/0, rediss://... or
# unix:///path/redis.sock. Sessions then use cached_db (read from Redis, written
# through to the database), so any server reads any session and no sticky sessions
# are needed. Without a URL: a per-process local-memory cache and sessions in the
# database only, since a local-memory cache in front of sessions would serve stale
# sessions once there is more than one process.
_CACHE = cache_settings(cache_url(os.environ))
CACHES = _CACHE.caches
SESSION_ENGINE = _CACHE.session_engine

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
# The front door: a trainer's dashboard, a learner's My learning (training.views.learner.home).
LOGIN_REDIRECT_URL = "courses:home"
LOGOUT_REDIRECT_URL = "login"

# Accounts (issue 10; accounts/backends.py, accounts/throttling.py) ---------------
AUTHENTICATION_BACKENDS = [
    # First: refuses password logins when local passwords are off (single sign-on
    # below, SSO_LOCAL_PASSWORDS), before any backend checks one.
    "accounts.sso.LocalPasswordGate",
    # Then: refuses every login attempt, right password or not, while its username
    # and IP address are locked out. It logs nobody in itself.
    "axes.backends.AxesStandaloneBackend",
    # Then the same for an address slowed down or locked across names, or a login
    # name across addresses (password spraying). It logs nobody in itself either.
    "accounts.throttling.SprayThrottleBackend",
    # Username (any case) or email; also Django's permissions, as ModelBackend.
    "accounts.backends.UsernameOrEmailBackend",
]
# After this many failed logins for one username (or email) from one IP address,
# that pair is refused for the cool-off; other addresses and other people are not
# affected (a lockout by username alone would let anyone lock anyone out).
LOGIN_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_COOLOFF_MINUTES = int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", "15"))
# Across names and across addresses (issue 21; accounts/throttling.py), counted over
# the last LOGIN_COOLOFF_MINUTES: past "slow after" failures only one attempt per
# LOGIN_SLOW_SECONDS is let through; at "lock after" password logins are refused for
# the cool-off. Per address (any name: password spraying) the limits are high, so an
# office behind one NAT address is not slowed by its typos; per login name (from any
# address) they are lower (each address adds at most LOGIN_FAILURE_LIMIT, since axes
# stops it there). 0 turns that step off.
LOGIN_ADDRESS_SLOW_AFTER = int(os.environ.get("DJANGO_LOGIN_ADDRESS_SLOW_AFTER", "30"))
LOGIN_ADDRESS_LOCK_AFTER = int(os.environ.get("DJANGO_LOGIN_ADDRESS_LOCK_AFTER", "100"))
LOGIN_NAME_SLOW_AFTER = int(os.environ.get("DJANGO_LOGIN_NAME_SLOW_AFTER", "10"))
LOGIN_NAME_LOCK_AFTER = int(os.environ.get("DJANGO_LOGIN_NAME_LOCK_AFTER", "30"))
LOGIN_SLOW_SECONDS = int(os.environ.get("DJANGO_LOGIN_SLOW_SECONDS", "10"))
# Proxies in front of the app that append to X-Forwarded-For (nginx, a load
# balancer): the client's address is the one the outermost of them saw. 0 means
# none: REMOTE_ADDR, which a client cannot forge.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = "accounts.throttling.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.throttling.login_identifier"
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
# Attempts SprayThrottleBackend refused before checking the password are not
# failures for axes either (the only thing this "whitelist" answers yes to).
AXES_WHITELIST_CALLABLE = "accounts.throttling.not_counted_by_axes"
# A successful login clears that username and address's failures.
AXES_RESET_ON_SUCCESS = True
# Counters in the database for now (a shared cache may replace it later); failed
# attempts only: no log of every successful login and its address.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_DISABLE_ACCESS_LOG = True
# Unlocking is an action on the Users list (accounts/admin.py), not axes' own admin.
AXES_ENABLE_ADMIN = False
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * int(os.environ.get("DJANGO_PASSWORD_LINK_DAYS", "3"))
# --------------------------------------------------------------------------------

# Single sign-on with OpenID Connect (issue 10; accounts/sso.py) ------------------
# Off unless OIDC_ISSUER_URL is set; then the login page offers "Sign in with
# <OIDC_PROVIDER_NAME>" and people arrive from the company's identity provider.


def oidc_providers(
    issuer_url: str, client_id: str, secret: str, name: str, scopes: list[str]
) -> dict:
    """allauth's SOCIALACCOUNT_PROVIDERS for one OpenID Connect provider, or none."""
    if not issuer_url:
        return {}
    return {
        "openid_connect": {
            "APPS": [
                {
                    # In the callback address: /accounts/oidc/sso/login/callback/
                    "provider_id": "sso",
                    "name": name,
                    "client_id": client_id,
                    "secret": secret,
                    "settings": {
                        "server_url": issuer_url.rstrip("/"),
                        # The ID token's claims only: it is checked (issuer, audience,
                        # expiry, signature), and it is where providers put groups.
                        "fetch_userinfo": False,
                        "oauth_pkce_enabled": True,
                        "scope": scopes,
                    },
                }
            ]
        }
    }


OIDC_ISSUER_URL = os.environ.get("OIDC_ISSUER_URL", "").strip()
_OIDC_ISSUER = urlsplit(OIDC_ISSUER_URL)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
if OIDC_ISSUER_URL and not (
    _OIDC_ISSUER.scheme == "https"
    or (_OIDC_ISSUER.scheme == "http" and _OIDC_ISSUER.hostname in _LOOPBACK)
):
    # The ID token and the client secret travel on this channel.
    raise ImproperlyConfigured("OIDC_ISSUER_URL must use https:// (http:// on loopback only).")
if OIDC_ISSUER_URL and not os.environ.get("OIDC_CLIENT_ID"):
    raise ImproperlyConfigured("Set OIDC_CLIENT_ID (and OIDC_CLIENT_SECRET) with OIDC_ISSUER_URL.")
SOCIALACCOUNT_PROVIDERS = oidc_providers(
    OIDC_ISSUER_URL,
    os.environ.get("OIDC_CLIENT_ID", ""),
    os.environ.get("OIDC_CLIENT_SECRET", ""),
    os.environ.get("OIDC_PROVIDER_NAME", "") or "Company sign-in",
    os.environ.get("OIDC_SCOPES", "").split() or ["openid", "profile", "email"],
)
# The claim listing the person's groups (e.g. "groups"): a group named exactly as a
# team makes them a member. Empty: teams are left alone.
SSO_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "").strip()
# false: the login page shows only the SSO button, and password logins are refused
# except for superusers (at /admin/login/). Ignored while SSO is off.
SSO_LOCAL_PASSWORDS = env_bool("DJANGO_LOCAL_PASSWORDS", True)
# accounts/sso.py decides who a sign-in is: no signup form, no linking by email on
# allauth's side, no verification emails (the provider vouches for the address).
ACCOUNT_ADAPTER = "accounts.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.sso.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
# --------------------------------------------------------------------------------

# The interface in two languages (locale/<code>/LC_MESSAGES/django.po, compiled with
# `make messages`). A learner's own choice (profile) wins, then the language cookie
# set by the switcher, then the browser's Accept-Language, then LANGUAGE_CODE.
# Course content may be written per language too (course.de.md, NN-slug.de.md).
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from npm (package.json), never copied into the repo.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
]
# Static files: WhiteNoise serves what collectstatic put in STATIC_ROOT. With
# DJANGO_STATIC_MANIFEST (`make run` and `make serve` set it, after collectstatic) file
# names carry a hash of their content and are cached for a year; it is opt-in because
# that storage turns a page into a 500 when collectstatic has not run, and the tests
# and `make dev` never run it (they serve the files from the folders as they are).
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("DJANGO_STATIC_MANIFEST", False)
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
# Source maps (12 of Bootstrap's 20 MB) are read by developer tools only: compressing
# them (gzip and Brotli) took most of collectstatic's 40 s.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Course content in Markdown, imported by `manage.py import_content`.
CONTENT_DIR = Path(os.environ.get("CONTENT_DIR", BASE_DIR / "content"))
# Hosts lessons may show images from (https://host/...); an image from any other
# host is replaced by its alt text, so a lesson cannot embed a tracking pixel.
# Relative image paths are always allowed.
LESSON_IMAGE_HOSTS = env_list("DJANGO_LESSON_IMAGE_HOSTS", "")
# Lesson media (images, PDFs, transcripts) imported from content/<course>/media/ or
# uploaded in the admin: kept in the default storage under MEDIA_ROOT and served only
# by courses:media, which checks that the user may see the course. MEDIA_URL is left
# unset on purpose: no web server may publish MEDIA_ROOT as it is.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Where media are stored (docs/production.md, "Storage"; courses/storage.py writes them):
# DJANGO_MEDIA_STORAGE=local (the default) is the folder MEDIA_ROOT, which several app
# servers must share (one network mount); s3 is an S3-compatible object store
# (django-storages), named by AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL (empty for
# Amazon S3 itself), AWS_S3_REGION_NAME, AWS_LOCATION (a prefix in the bucket) and
# AWS_S3_ADDRESSING_STYLE (path for most servers other than Amazon's). Credentials are
# never settings: boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the
# environment (or an instance role). The bucket stays private: files are served only
# by courses:media, from the storage, to those who may see the course.
MEDIA_STORAGE = os.environ.get("DJANGO_MEDIA_STORAGE", "local").strip().lower() or "local"
if MEDIA_STORAGE == "s3":
    if not os.environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("DJANGO_MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "location": os.environ.get("AWS_LOCATION", "").strip("/"),
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
            # Stored names are derived from the content: the same name is the same
            # file, written again in place (courses/storage.py).
            "file_overwrite": True,
            "default_acl": None,  # the bucket's own: private
        },
    }
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(f"DJANGO_MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}.")
# The largest media file accepted (import and admin), before any resizing.
LESSON_MEDIA_MAX_BYTES = int(os.environ.get("DJANGO_LESSON_MEDIA_MAX_MB", "10")) * 1024 * 1024
# Wider images are scaled down to this width on import and upload.
LESSON_IMAGE_MAX_WIDTH = int(os.environ.get("DJANGO_LESSON_IMAGE_MAX_WIDTH", "1600"))
# Hosts lesson videos are embedded from (the !video[...] line, courses/markdown.py): the
# privacy-enhanced players of YouTube and Vimeo. Fixed, not a setting: the renderer
# knows how to build a player address for these two only. The CSP's frame-src below.
LESSON_VIDEO_HOSTS = ["www.youtube-nocookie.com", "player.vimeo.com"]

# Email (reminders). Development prints emails to the console.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "learning@localhost")
# The site's address as people type it, for links in emails and on certificates
# (docs/production.md). make run, dev and serve set it to http://HOST:PORT when the
# environment does not; anything started by hand without it gets :8000.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Compliance training (docs/compliance.md): learners are reminded this many days before
# an assignment is due, then every REMINDER_OVERDUE_EVERY_DAYS days while it is overdue
# (training/reminders.py; sent by `run_scheduled`).
REMINDER_DAYS_BEFORE = [int(d) for d in env_list("REMINDER_DAYS_BEFORE", "30,7,1")]
REMINDER_OVERDUE_EVERY_DAYS = int(os.environ.get("REMINDER_OVERDUE_EVERY_DAYS", "7"))

# Sessions: signed out after this much inactivity (accounts/sessions.py); staff,
# who can change content and see everyone's records, sooner. The cookie itself
# lasts as long as the longer limit, or until the browser closes if asked.
SESSION_IDLE_SECONDS = 60 * int(os.environ.get("DJANGO_SESSION_IDLE_MINUTES", "480"))
STAFF_SESSION_IDLE_SECONDS = 60 * int(os.environ.get("DJANGO_STAFF_SESSION_IDLE_MINUTES", "120"))
SESSION_COOKIE_AGE = max(SESSION_IDLE_SECONDS, STAFF_SESSION_IDLE_SECONDS)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", False)

# Production: HTTPS and security headers (README "Production") ---------------------
# The site's address says how it is served: with an https:// SITE_URL the site
# redirects plain HTTP to HTTPS, sends HSTS and marks its cookies Secure. Tied to the
# address rather than to DEBUG: the test suite, `make run` and `make serve` on a laptop
# run with DEBUG off over plain http://127.0.0.1, where https:// leads nowhere.
_HTTPS = SITE_URL.startswith("https://")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", _HTTPS)
# A load balancer may ask a server directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a proxy that ends TLS (nginx, a load balancer), the scheme the browser used is
# in X-Forwarded-Proto; the proxy must set that header itself, replacing the client's.
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HSTS: browsers refuse plain HTTP to this host for a year (they ignore the header over
# plain HTTP, and it is only sent over HTTPS). includeSubDomains covers names under this
# host only (under learn.example.com, not example.com's other sites). Preloading binds
# the whole domain for months, so it is its owner's decision: DJANGO_HSTS_PRELOAD.
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS") or (31536000 if _HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
# check --deploy's W021 asks for preloading: see above.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", _HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# Other sites learn nothing of our addresses (course and certificate codes included).
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (config/headers.py; the shape of Django 6's SECURE_CSP).
# Everything comes from this site, and nothing inline: no 'unsafe-inline' (templates
# use classes and script files; Django's admin has no inline script or style either).
SECURE_CSP = {
    "default-src": ["'self'"],
    # data: for the SVG icons inside Bootstrap's CSS (checkboxes, radios, selects), and
    # the https hosts lessons may show images from.
    "img-src": ["'self'", "data:", *[f"https://{host}" for host in LESSON_IMAGE_HOSTS]],
    "object-src": ["'none'"],
    # Lesson videos: the two players' hosts only (not even 'self': no page frames ours).
    "frame-src": [f"https://{host}" for host in LESSON_VIDEO_HOSTS],
    "base-uri": ["'self'"],
    # Never inside a frame (X-Frame-Options DENY says the same to older browsers).
    "frame-ancestors": ["'none'"],
    # No form-action: Chrome applies it to the redirects that follow a POST, and the
    # SSO button posts here and is redirected to the identity provider.
}
# DJANGO_CSP_REPORT_ONLY=true sends the policy as Content-Security-Policy-Report-Only:
# browsers report what it would block and block nothing (to try out a change).
SECURE_CSP_REPORT_ONLY: dict[str, list[str]] = {}
if env_bool("DJANGO_CSP_REPORT_ONLY", False):
    SECURE_CSP, SECURE_CSP_REPORT_ONLY = {}, SECURE_CSP
# Permissions-Policy: features no page of ours uses, off for our pages and anything in
# them (only names Chrome knows: it logs an error for any other).
PERMISSIONS_POLICY_DENY = [
    "accelerometer",
    "autoplay",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]
# --------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"message": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # Production: one JSON line per request (config/request_log.py) on stdout, where
        # process managers and containers collect it; everything else goes to stderr.
        "requests": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "message",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        # DJANGO_REQUEST_LOG_LEVEL=WARNING turns the request lines off.
        "requests": {
            "handlers": ["requests"],
            "level": os.environ.get("DJANGO_REQUEST_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}
