"""Settings shared by every environment.

Every value comes from the environment, with defaults that give the embedded set-up
(SQLite, in-memory channel layer, embedded search, filesystem Celery broker), so that
``make run`` needs no server. ``DATABASE_URL``, ``REDIS_URL`` and ``ELASTICSEARCH_URL``
switch the same code to Postgres, Redis and Elasticsearch.
"""
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from marketplace.secret_key import installation_secret_key, secret_key_problem

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

VAR_DIR = Path(env("ZONE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The read-only real data (../shared/data beside the checkout); optional.
SHARED_DATA_DIR = Path(env("ZONE_SHARED_DATA", default=str(BASE_DIR.parent / "shared" / "data")))

# DJANGO_SECRET_KEY when set (refused when it is a published placeholder, short or low-variety); otherwise the
# random key this installation generated once under var/ (marketplace/secret_key.py). Never a value in the code.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if SECRET_KEY:
    if (_problem := secret_key_problem(SECRET_KEY)) is not None:
        raise ImproperlyConfigured(_problem)
else:
    SECRET_KEY = installation_secret_key(VAR_DIR)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # APIs, accounts, background work
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_celery_beat",
    "django_prometheus",
    # The project's own apps
    "marketplace",
    "listings",
    "escrow",
    "escrow.ledger",
    "escrow.gateways",
    "escrow.settlement",
    "search",
    "cms",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "marketplace.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # stored public pages for visitors with no session, before the rest of the stack (marketplace/pagecache.py)
    "marketplace.pagecache.EarlyPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "marketplace.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "marketplace.middleware.ActingUserMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "marketplace.pagecache.PublicPageCacheMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "marketplace.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cms.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the Celery worker write while the web process reads.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# A member lands on their own home (/me/): the next step, where each of their things stands, what waits on them.
LOGIN_REDIRECT_URL = "/me/"
ACCOUNT_SIGNUP_REDIRECT_URL = "/me/"
# The site's own name, domain and link base in allauth's e-mails (no django.contrib.sites: one site per install).
ACCOUNT_ADAPTER = "marketplace.account_adapter.SiteAccountAdapter"
# Every login, staff included, goes through allauth's form and its rate limits: /django-admin/login/ and
# /admin/login/ only redirect there (marketplace/views.py: staff_login), and both admins send the signed-out here.
LOGIN_URL = "account_login"
CSRF_FAILURE_VIEW = "marketplace.errors.csrf_failure"
#: what the member home tells a new organisation about verification: operators decide within this many working days
ORGANISATION_REVIEW_WORKING_DAYS = env.int("ORGANISATION_REVIEW_WORKING_DAYS", default=2)
WAGTAILADMIN_LOGIN_URL = "account_login"
# Failed logins: per account (5 in 5 minutes, the limit that protects a password), and a looser per-client one so
# that visitors behind one address do not lock each other out. The client address is the one our proxy saw:
# ALLAUTH_TRUSTED_PROXY_COUNT proxies in front of the app (production: Caddy, 1), never a header the client sets.
ACCOUNT_RATE_LIMITS = {"login_failed": env("LOGIN_FAILED_RATE_LIMIT", default="30/m/ip,5/5m/key")}
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Two-factor authentication (allauth.mfa): TOTP with recovery codes, offered to every account and expected of
# staff (docs/security.md); set up at /accounts/2fa/.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="专利展示交易网 zone patents")
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")

# Chinese first, English as well.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "cms" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Static files: `collectstatic` (run by `make run`, the Dockerfile and `make bench-pages`) writes each file under a
# content-hashed name with gzip and Brotli copies; WhiteNoise serves only the collected files, picks the compressed
# copy the browser accepts, and marks hashed names immutable (cached for ten years). Names without a hash (the
# admin's few unversioned references, /favicon.ico from WHITENOISE_ROOT) are cached for WHITENOISE_MAX_AGE.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
WHITENOISE_MAX_AGE = env.int("WHITENOISE_MAX_AGE", default=3600)
WHITENOISE_ROOT = BASE_DIR / "cms" / "root"  # /favicon.ico, served at the site root
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The ASGI app answers 413 above this before reading the body (marketplace/asgi_guards.py); the proxy has the same
# cap (deploy/Caddyfile). It sits above the largest upload the exchange accepts (20 MB, marketplace/kernel/uploads.py)
# plus the multipart envelope; tests/marketplace/test_security.py holds the two together.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Redis: channel layer and Celery broker when REDIS_URL is set; otherwise embedded.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        # redis-py's pool refuses a connection beyond max_connections (100 by default) instead of waiting: every
        # socket sending to a group at once holds one, so a busy web process needs more than that.
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "max_connections": env.int("CHANNEL_REDIS_MAX_CONNECTIONS", default=1000)}]},
        },
        # The deal room (listings/deals/services/room.py: ROOM_LAYER): Redis pub/sub, one PUBLISH per room message
        # and one read per web process, fanned out to the process's sockets there. The default layer's per-socket
        # queues cost four Redis round trips per socket and message, one at a time per process, which capped the
        # room's deliveries (docs/benchmarks.md, "Deal room"). Pub/sub delivers at most once; the room makes up
        # what a socket missed from its record (gap-free seq, gaps filled from the database).
        "deals": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}},
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Threads for the deal room's database calls per web process (listings/deals/roomdb.py): each may hold a
# connection while it works, so workers × threads stays well below the database's connection limit.
DEAL_ROOM_DB_THREADS = env.int("DEAL_ROOM_DB_THREADS", default=4)

# The cache framework: Redis when REDIS_URL is set (shared by every web and worker process); otherwise a file
# cache under var/, so the Celery worker's invalidations reach the web process (see marketplace/pagecache.py).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("CACHE_URL", default=REDIS_URL)}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
# Whole public pages for anonymous visitors, dropped by the events that change them (marketplace/pagecache.py).
PAGE_CACHE_ENABLED = env.bool("PAGE_CACHE_ENABLED", default=True)
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
PAGE_CACHE_VIEWS = [
    "cms:patent-list",
    "cms:patent-map",
    "cms:patent-detail",
    "search:page",
    "api-search-patents",
    "listings:listing-board",
    "listings:demand-board",
]
# Views that say per object whether their page may be shared (Wagtail: only pages without a view restriction).
PAGE_CACHE_PER_OBJECT_VIEWS = ["wagtail_serve"]

CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task: the message is not acknowledged, so the broker hands it to the next worker (Redis:
# after the visibility timeout). Each worker holds one message beyond those it runs, not a batch to lose.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A message taken by a worker that died is handed out again once it has been unacknowledged for
    # ``visibility_timeout`` seconds; every worker sweeps for such messages every ``unacked_restore_interval``.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
        "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": 1,
    }
# The task outbox (marketplace/outbox.py): a task still owed this long after its publish (or its start) is
# published again; keep it above the longest task, as the visibility timeout. A task claimed by a worker process
# that has died on this host is published again at once, when the next worker starts.
TASK_OUTBOX_LEASE_SECONDS = env.int("TASK_OUTBOX_LEASE_SECONDS", default=600)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
#: every periodic task, declared here in code. Beat (the database scheduler) writes these into
#: django-celery-beat's tables when it starts, and ``manage.py sync_beat_schedule`` does so on demand;
#: operators may then pause or re-time a task in the admin. The names are the rows' names.
CELERY_BEAT_SCHEDULE = {
    "saved-search alerts · 保存检索提醒": {
        "task": "listings.run_saved_search_alerts",
        "schedule": 3600.0,  # hourly; each saved search decides from its own frequency whether it is due
    },
    "expire listings and demands · 挂牌与需求到期": {
        "task": "listings.expire_trading",
        "schedule": crontab(minute="5", hour="0"),  # just after midnight in CELERY_TIMEZONE
    },
    "deals: expire offers · 报价到期": {"task": "listings.deals.expire_offers", "schedule": 300.0},
    "escrow funding deadlines · 托管付款截止": {"task": "settlement.expire_unfunded", "schedule": 900.0},
    "escrow inspection windows · 托管验收期": {"task": "settlement.auto_accept_milestones", "schedule": 900.0},
    "escrow payouts to send · 托管出款重试": {"task": "settlement.send_open_payouts", "schedule": 300.0},
    "task outbox re-publish · 任务发件箱重发": {
        "task": "marketplace.outbox_republish",
        "schedule": 60.0,  # tasks owed past their lease, or held by a worker that died (marketplace/outbox.py)
    },
    "search index repair · 检索索引修复": {
        "task": "search.repair_index",
        "schedule": 1800.0,  # every 30 min: re-index what is missing or stale, drop orphans (search/drift.py)
    },
}

# Search: Elasticsearch when ELASTICSEARCH_URL is set; otherwise the embedded SQLite FTS5 engine.
ELASTICSEARCH_URL = env("ELASTICSEARCH_URL", default="")
SEARCH_BACKEND = env(
    "SEARCH_BACKEND",
    default="search.backends.elasticsearch" if ELASTICSEARCH_URL else "search.backends.embedded",
)
SEARCH_INDEX_PATH = Path(env("SEARCH_INDEX_PATH", default=str(VAR_DIR / "search-index.sqlite3")))
SEARCH_INDEX_PREFIX = env("SEARCH_INDEX_PREFIX", default="zonepatent")
#: /healthz reports the search index as drifting once its count has differed from the database's this long
#: (commits reach the index a moment later; an import's re-indexing takes minutes, not this long)
SEARCH_DRIFT_GRACE_SECONDS = env.int("SEARCH_DRIFT_GRACE_SECONDS", default=600)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "marketplace.api_tokens.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "marketplace.kernel.api.exception_handler",
    # writes per user (or anonymous client) and minute: marketplace/throttles.py; a 429 names the wait
    "DEFAULT_THROTTLE_CLASSES": ["marketplace.throttles.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"writes": env("API_WRITE_RATE", default="60/min")},
    "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zone patent exchange API · 专利展示交易网 API",
    "DESCRIPTION": (
        "Patents, search, listings, demands and matching of the patent-navigation experimental zones.\n\n"
        "**Authentication.** Reading public data needs none. To act as a member, make a token on your own page "
        "`/me/tokens/` (API 令牌: name it after its use; it is shown once) and send `Authorization: Token <key>`. "
        "Revoke it there when it is no longer needed: a revoked token is refused at once. A signed-in browser "
        "session also works (with the CSRF token for writes). See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served locally: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["marketplace.openapi.only_project_api"],
    # Several models have a "kind" or "status" with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "PatentKindEnum": "listings.catalogue.models.PatentKind",
        "LegalStatusEnum": "listings.catalogue.models.LegalStatus",
        "OrganisationKindEnum": "marketplace.models.Organisation.Kind",
        "AttachmentKindEnum": "listings.trading.models.AttachmentKind",
        "ListingStatusEnum": "listings.trading.models.ListingStatus",
        "DemandStatusEnum": "listings.demands.models.DemandStatus",
        "DealTypeEnum": "listings.trading.models.DealType",
        "LicenceKindEnum": "listings.trading.models.LicenceKind",
        "AttachmentReviewStatusEnum": "listings.trading.models.ReviewStatus",
        "DealKindEnum": "listings.deals.models.DealKind",
        "DealStatusEnum": "listings.deals.models.DealStatus",
        "CommissionPayerEnum": "listings.deals.models.CommissionPayer",
        "DealSideEnum": "listings.deals.models.Side",
        "FindingSeverityEnum": "listings.deals.models.FindingSeverity",
    },
}

WAGTAIL_SITE_NAME = "专利展示交易网"
# The address people reach the site at: every link in an e-mail (notifications, allauth's confirmation and
# password reset) and the domain allauth names. From the environment; without it, the HOST/PORT that
# `manage.py serve` listens on (serve sets SITE_URL for its web and worker processes; marketplace/site_url.py).
SITE_URL = env("SITE_URL", default="") or env(
    "WAGTAILADMIN_BASE_URL",
    default=f"http://{env('HOST', default='127.0.0.1').replace('0.0.0.0', '127.0.0.1')}:{env('PORT', default='8000')}",
)
SITE_URL = SITE_URL.rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@zone-patents.example")

# /.well-known/security.txt (RFC 9116, marketplace/security_txt.py): where to report a vulnerability. Each
# installation names its own: a security@ address on its domain and the repository's private vulnerability
# reporting page (GitHub: Security → Advisories → Report a vulnerability). Without either the file is not served.
SECURITY_CONTACT_EMAIL = env("SECURITY_CONTACT_EMAIL", default="")
SECURITY_REPORT_URL = env("SECURITY_REPORT_URL", default="")
SECURITY_POLICY_URL = env("SECURITY_POLICY_URL", default="")
SECURITY_TXT_EXPIRES_DAYS = env.int("SECURITY_TXT_EXPIRES_DAYS", default=180)

# /metrics (marketplace/metrics.py) answers staff users and this bearer token (for the Prometheus scraper).
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Error reporting through Sentry's SDK, only when a DSN is set.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from marketplace.observability import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

LOG_FORMAT = env("LOG_FORMAT", default="text")  # "json" in production: one object per line, with the request id
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "marketplace.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "marketplace.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        # Wagtail logs every page save and background task at INFO; keep set-up output readable.
        "wagtail": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# Escrow: rails, timers, the exchange's escrow bank account, Stripe (keys from the environment; tests use a fake server)
PAYMENT_RAILS = {
    "bank": "escrow.gateways.bank.BankTransferRail",
    "stripe": "escrow.gateways.stripe_rail.StripeRail",
}
ESCROW_FUNDING_DAYS = env.int("ESCROW_FUNDING_DAYS", default=14)
ESCROW_INSPECTION_DAYS = env.int("ESCROW_INSPECTION_DAYS", default=7)
ESCROW_BANK_ACCOUNT = {
    "bank": env("ESCROW_BANK_NAME", default="示例银行 苏州分行 (example bank)"),
    "name": env("ESCROW_BANK_ACCOUNT_NAME", default="专利展示交易网资金托管专户"),
    "number": env("ESCROW_BANK_ACCOUNT_NUMBER", default="0000 0000 0000 0000"),
}
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_unset")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_unset")
STRIPE_WEBHOOK_TOLERANCE = env.int("STRIPE_WEBHOOK_TOLERANCE", default=300)
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
