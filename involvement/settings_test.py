"""Settings for the test suite: the real settings with fast hashing and predictable mail.

``DATABASE_URL`` and ``REDIS_URL`` still choose PostgreSQL and Redis, so CI runs the suite
against the real servers.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DEBUG", "false")

from involvement.settings import *  # noqa: F403 -- test settings extend the real ones

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Each test starts with a clean in-process cache (tests/conftest.py). The production database
# cache is kept as a second alias so that the test database gets its table (Django's test runner
# runs createcachetable for every database cache); the sign-in tests switch "default" to it.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "database": CACHES["default"],  # noqa: F405 -- the production database cache, from the real settings
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
# Tasks run in-process; the tests of the real broker and worker switch this off themselves.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Static files come straight from the finders: the tests never run collectstatic.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
