"""Settings of the `shop` test project: production-like (DEBUG off), no database."""

SECRET_KEY = "sonde-tests-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

# No models, no sessions, no auth: nothing needs a database.
DATABASES: dict[str, dict] = {}

USE_TZ = True
# /upload reads its body as a stream; this only bounds request.body/POST.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4 * 1024 * 1024
