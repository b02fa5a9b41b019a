"""gunicorn's settings (read from the working directory when gunicorn starts): the web part of the
connection budget. Each worker thread holds at most one database connection, so WEB_CONCURRENCY ×
WEB_THREADS counts against PostgreSQL's max_connections (docs/RELIABILITY.md); the settings read
the same variables to check the whole budget."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "1"))
# A request that takes longer than this is stuck: the worker is restarted (its connection closed).
timeout = 60
