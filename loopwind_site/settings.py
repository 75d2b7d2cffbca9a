"""The one settings module. Everything comes from the environment; each integration
switches on when its variable is set (see the table in README.md)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LOOPWIND_VAR_DIR", BASE_DIR / "var"))


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool = False) -> bool:
    """A typo (``DEBUG=ture``) stops the start with a message instead of reading as false."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS | FALSE_WORDS:
        return value in TRUE_WORDS
    raise ImproperlyConfigured(
        f"{name}={os.environ[name]!r} is not a boolean: use 1/0, true/false, yes/no or on/off."
    )


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _env_number(name: str, default, kind, what: str):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={os.environ[name]!r} is not {what}.") from None


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


DEBUG = env_bool("DEBUG", False)
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment; on a one-machine install without it, a random key
    kept in var/ so sessions and signed URLs survive restarts. Several nodes must share SECRET_KEY."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_dramatiq",
    "csp",
    "moderation",
    "accounts",
    "templates_registry",
    "rendering",
    "billing",
    "orgs",
    "domains",
    "analytics",
    "marketplace",
]

MIDDLEWARE = [
    # Outermost: what a request hands over (core.afterresponse) runs once its response has gone out
    "core.afterresponse.AfterResponseMiddleware",
    "core.observability.RequestIdMiddleware",
    # Outside everything else but the request id: counts every /api/ and /i/ answer, errors included
    "analytics.middleware.AnalyticsMiddleware",
    # Before anything reads the Host: a verified custom domain is let in for its /i/ URLs only
    "domains.middleware.CustomDomainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # outside ApiErrorMiddleware, so the headers land on the error JSON it substitutes
    "billing.ratelimit.RateLimitHeadersMiddleware",
    "core.errors.NulBytesMiddleware",  # inside the rate-limit headers: refusals carry them too
    "core.errors.ApiErrorMiddleware",
]

ROOT_URLCONF = "loopwind_site.urls"
WSGI_APPLICATION = "loopwind_site.wsgi.application"

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
            ],
        },
    },
]

# --- Database: PostgreSQL through DATABASE_URL, else a SQLite file under var/ ---
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'loopwind.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A SELECT 1 before the first query of a request on a reused connection, so a web process
        # survives a PostgreSQL restart or failover without a 500. Measured (bench/conn_health.py):
        # +0.07–0.1 ms on a request that queries, nothing on one that does not — and cache hits no
        # longer query (core.hotcache). Worth keeping; DATABASE_CONN_HEALTH_CHECKS=0 turns it off.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis through REDIS_URL, else local memory ---
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "lw"),
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Queue: Dramatiq on Redis when REDIS_URL is set, else an in-process stub broker whose
# worker thread starts with the first job (rendering.queue) ---
DRAMATIQ_REDIS_URL = os.environ.get("DRAMATIQ_REDIS_URL") or REDIS_URL
_DRAMATIQ_MIDDLEWARE = [
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Retries",
    "dramatiq.middleware.CurrentMessage",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
]
if DRAMATIQ_REDIS_URL:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        "OPTIONS": {
            "url": DRAMATIQ_REDIS_URL,
            # A worker that dies (SIGKILL, OOM, lost node) leaves its unacknowledged messages behind;
            # they go back on the queue once its heartbeat is this old (ms).
            "heartbeat_timeout": env_int("DRAMATIQ_HEARTBEAT_TIMEOUT", 30_000),
            "maintenance_chance": env_int("DRAMATIQ_MAINTENANCE_CHANCE", 5_000),  # per million commands
        },
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
else:
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.stub.StubBroker",
        "OPTIONS": {},
        "MIDDLEWARE": _DRAMATIQ_MIDDLEWARE,
    }
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

# --- Storage: S3 when AWS_STORAGE_BUCKET_NAME is set, else files under var/media ---
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    from botocore.config import Config as _BotoConfig

    # botocore waits 60 s to connect and 60 s per read, five times over: an S3 that stops
    # answering (rather than refusing) would hold a request or a job for minutes. Bounded, a
    # storage outage reaches the caller as a 503 or a retried job within seconds.
    S3_CLIENT_CONFIG = _BotoConfig(
        signature_version="s3v4",
        connect_timeout=env_float("S3_CONNECT_TIMEOUT", 3),
        read_timeout=env_float("S3_READ_TIMEOUT", 10),
        retries={"mode": "standard", "max_attempts": env_int("S3_MAX_ATTEMPTS", 3)},
    )
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 24 * 3600,
            "file_overwrite": False,
            "client_config": S3_CLIENT_CONFIG,
        },
    }
else:
    DEFAULT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": DEFAULT_STORAGE,
    # Static files are served by the app itself (WhiteNoise), hashed and compressed by collectstatic.
    "staticfiles": {"BACKEND": "core.staticstorage.StaticStorage"},
}
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Tests and DEBUG serve straight from the apps' static folders; `make run` collects first.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Auth ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env_list(
    "PASSWORD_HASHERS",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher,django.contrib.auth.hashers.ScryptPasswordHasher",
)
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/"

# Login brute-force protection: failures counted in the cache (Redis: shared by every process).
LOGIN_FAILURES_PER_ACCOUNT = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "5/15m")
LOGIN_FAILURES_PER_IP = os.environ.get("LOGIN_FAILURES_PER_IP", "30/15m")
RATELIMIT_USE_CACHE = "default"
# Requests a minute come from the user's plan; these are for callers without one.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
# API analytics: every /api/ and /i/ request counted in memory, handed to the worker every
# ANALYTICS_FLUSH_SECONDS (0: only when flushed explicitly, as the tests do).
ANALYTICS_ENABLED = env_bool("ANALYTICS_ENABLED", True)
ANALYTICS_FLUSH_SECONDS = float(os.environ.get("ANALYTICS_FLUSH_SECONDS", "2"))
# bench/render_api.py's floor, a trivial view at /_bench/floor: never set it in a deployment
BENCH_FLOOR = env_bool("LOOPWIND_BENCH_FLOOR", False)
ANON_REQUESTS_PER_MINUTE = env_int("ANON_REQUESTS_PER_MINUTE", 60)
REGISTRATIONS_PER_IP = os.environ.get("REGISTRATIONS_PER_IP", "20/h")
TRY_IT_ANON_RATE = os.environ.get("TRY_IT_ANON_RATE", "10/h")  # "try it" renders per IP, signed out

# --- Stripe: billing is on when both keys are set ---
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # a Stripe-compatible server (tests: localstripe)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.HasRequiredScopes"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only (the publish endpoint adds its multipart parser): one encoding, one set of types
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["billing.ratelimit.PlanRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "public_id",
    "USER_ID_CLAIM": "sub",
    "ISSUER": SITE_URL,
    "LEEWAY": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "loopwind API",
    "DESCRIPTION": (
        "Publish image and video templates and render them into PNG, JPG, WebP, SVG and PDF images "
        "and MP4, WebM and GIF videos."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # /api/docs: operations listed by tag with their summaries, the models section folded (faster to
    # draw); no deep links (Swagger UI nests them in the operation's button, which axe rightly flags).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "docExpansion": "list", "defaultModelsExpandDepth": -1},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A JWT access token or an API key (lw_live_…)",
            }
        }
    },
    "SECURITY": [{"bearer": []}],
    # Render and sign share the image formats: one name for them (the TypeScript SDK's ImageFormat)
    "ENUM_NAME_OVERRIDES": {"RenderInputFormatEnum": "loopwind.engine.IMAGE_FORMATS"},
}

# --- Request size: JSON bodies are small; template uploads (multipart files) have their own limit ---
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("LOOPWIND_MAX_JSON_BODY", 256 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 210  # a bundle holds at most 200 files; more is refused while parsing

# --- CORS on the API and image URLs ---
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = env_bool("CORS_ALLOW_ALL_ORIGINS", False)
CORS_URLS_REGEX = r"^/api/.*$"  # /i/ and /files/ answer any origin themselves
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "x-loopwind-account",
    "user-agent",
    "x-requested-with",
)
CORS_EXPOSE_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
    "X-Render-Id",
    "X-Render-Duration",
    "X-Render-Cache",
    "X-Request-Id",  # the SDKs put it on errors (requestId) for support requests
)

# --- Security headers; production hardening when DEBUG is off ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY") else None
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and SITE_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
# With HSTS on, every subdomain is https-only and the domain may be preloaded (check --deploy is clean);
# set either to 0 for a domain whose subdomains still serve plain http.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)

# Content-Security-Policy (django-csp): scripts only from our own origin, never inline. Images and
# video may come from https (S3 presigned URLs of previews); forms may post onward to Stripe's pages.
# /api/docs (Swagger UI) widens styles and images for itself only (loopwind_site/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "media-src": ["'self'", "https:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'", "https:"],
        "frame-ancestors": ["'none'"],
    },
}

# Outgoing fetches (image props, webhooks) refuse non-public addresses (core/netsafe/).
# IPs / CIDRs listed here are let through anyway: for tests against local servers only, never production.
LOOPWIND_SSRF_ALLOW = env_list("LOOPWIND_SSRF_ALLOW")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "loopwind <noreply@loopwind.dev>")
SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "support@loopwind.dev")  # shown to customers on the website

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # json in production: one object per line
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")  # /metrics is a 404 until this is set
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- Rendering ---
# Renders run in child processes (core/renderpool/isolation.py) with these limits.
RENDER_PROCESSES = env_int("RENDER_PROCESSES", 1)  # image render children per web/worker process
RENDER_TIME_LIMIT = env_int("RENDER_TIME_LIMIT", 10)  # seconds for one image render
VIDEO_TIME_LIMIT = env_int("VIDEO_TIME_LIMIT", 600)  # seconds for one video render
RENDER_MEMORY_MB = env_int("RENDER_MEMORY_MB", 2048)  # address space of a render child
RENDER_CACHE_TTL = env_int("RENDER_CACHE_TTL", 7 * 24 * 3600)  # seconds a cached image is served
# Each web process keeps the outputs it served from the render cache last (up to 1 MB each) in memory,
# so a hit reads no storage (S3: a GET per hit). Names are content hashes: no invalidation is needed.
RENDER_MEMORY_CACHE_MB = env_int("RENDER_MEMORY_CACHE_MB", 16)
# Seconds a process keeps its own copy of a signed /i/ hit's reads (core.nearcache): changes still
# reach it at once through Redis's tracking messages; this bounds only a process cut off from Redis
# without noticing. 0 turns the copies off (every hit reads Redis).
HOT_NEAR_SECONDS = env_float("HOT_NEAR_SECONDS", 1.0)
OUTPUT_TTL = env_int("OUTPUT_TTL", 24 * 3600)  # seconds an async job's output stays downloadable
# One event stream lasts at most this long, then ends so the client reconnects (EventSource does so
# by itself): gunicorn's sync workers tell their arbiter they are alive only between requests, so a
# stream longer than its --timeout (60 s in the Procfile) would get the worker aborted mid-stream.
SSE_STREAM_SECONDS = env_int("SSE_STREAM_SECONDS", 45)
# Seconds between webhook attempts: about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then the delivery fails.
WEBHOOK_RETRY_SCHEDULE = tuple(
    float(seconds) for seconds in env_list("WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000")
)

# --- Custom domains (Business): a customer's name, CNAME'd to us, serves their signed image URLs ---
# What customers CNAME their name to (default: SITE_URL's host name).
LOOPWIND_DOMAIN_TARGET = os.environ.get("LOOPWIND_DOMAIN_TARGET", "").strip().lower().rstrip(".")
# Nameservers asked by verification, "ip" or "ip:port", comma-separated (tests: a local server);
# empty: the system's resolver (/etc/resolv.conf).
LOOPWIND_DNS_RESOLVER = env_list("LOOPWIND_DNS_RESOLVER")
LOOPWIND_DNS_TIMEOUT = float(os.environ.get("LOOPWIND_DNS_TIMEOUT", "") or 5)  # seconds for one lookup
# The proxy's on-demand TLS "ask" (/internal/tls-ask) answers loopback callers not forwarded by a
# proxy, and anyone presenting this token (?token= or X-Loopwind-Token).
LOOPWIND_TLS_ASK_TOKEN = os.environ.get("LOOPWIND_TLS_ASK_TOKEN", "")
DOMAIN_RECHECK_HOURS = env_int("DOMAIN_RECHECK_HOURS", 24)  # the worker verifies each domain again
DOMAIN_VERIFY_INTERVAL = env_int("DOMAIN_VERIFY_INTERVAL", 10)  # seconds between two verify calls of a domain

# Device login (RFC 8628 style) for the CLI.
DEVICE_CODE_LIFETIME = timedelta(minutes=10)
DEVICE_POLL_INTERVAL = env_int("DEVICE_POLL_INTERVAL", 5)

# --- Error tracking: Sentry when SENTRY_DSN is set (Django and Dramatiq integrations) ---
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.dramatiq import DramatiqIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), DramatiqIntegration()],
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
    )
