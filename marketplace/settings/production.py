"""Production: refuses to start without its secrets, and passes ``manage.py check --deploy``."""
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env

REQUIRED = ("DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOWED_HOSTS")
_missing = [name for name in REQUIRED if not env(name, default="")]
if _missing:
    raise ImproperlyConfigured(
        "Production settings refuse to start without: " + ", ".join(_missing)
    )

SECRET_KEY = env("DJANGO_SECRET_KEY")  # base.py has refused placeholders, short and low-variety keys

DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# One proxy (Caddy, deploy/compose.production.yml) appends the client's address to X-Forwarded-For: the login
# limits count that address, not the proxy's, which every client would share.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
REST_FRAMEWORK = {**REST_FRAMEWORK, "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT}  # noqa: F405  (the API's throttles)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {**LOGGING, "handlers": {"console": {**LOGGING["handlers"]["console"], "formatter": LOG_FORMAT}}}  # type: ignore[index,dict-item]  # noqa: F405
