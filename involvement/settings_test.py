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
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
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
