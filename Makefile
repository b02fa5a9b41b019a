# Involvement: `make run` to see the site with demo data, `make test` to run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check format vendor migrate seed clean worker bench bench-small screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

var:
	mkdir -p var/broker/queue var/broker/processed var/media

migrate: $(STAMP) var
	DEBUG=true $(BIN)/python manage.py migrate --no-input

seed: migrate
	DEBUG=true $(BIN)/python manage.py seed_demo

# The site at http://127.0.0.1:8000 with a Celery worker and beat. SQLite and a filesystem
# broker unless DATABASE_URL and REDIS_URL are set; emails are printed by the worker.
run: seed
	DEBUG=true PYTHONUNBUFFERED=1 $(BIN)/honcho start -f Procfile.dev

# The whole suite, on two processes. With DATABASE_URL and REDIS_URL set it runs against
# PostgreSQL and Redis; otherwise SQLite, and the tests that need a real server say why they are
# skipped. Tests that start a real Celery worker share one process ("real-broker" group).
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup

# Linters, types and Django's checks; then the production profile's deploy checks (DEBUG off, with
# the least it needs: a long secret key and a host name), bandit (its exclusions and their reasons:
# [tool.bandit] in pyproject.toml) and pip-audit where its service can be reached (docs/RELIABILITY.md).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/mypy .
	DEBUG=true $(BIN)/python manage.py check
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=false SECRET_KEY=make-check-deploy-only-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ \
		ALLOWED_HOSTS=involvement.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/bandit -c pyproject.toml -r . -q
	$(BIN)/python scripts/audit_dependencies.py

# The benchmark (scripts/bench.py, docs/PERFORMANCE.md): gunicorn in the production profile against
# a PostgreSQL database loaded by seed_scale (BENCH_DATABASE, default involvement_bench, on
# postgres://postgres@127.0.0.1:5432 or BENCH_DATABASE_SERVER). `make bench` is the full size
# (10,000 volunteers) and writes the table into docs/PERFORMANCE.md; `make bench-small` (or
# BENCH_SIZE=small) runs a small size to prove it works.
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

bench-small: $(STAMP)
	$(BIN)/python scripts/bench.py --size small --output var/PERFORMANCE-small.md

# Screenshots of each role's main pages from the demo site into docs/screenshots/ (shown in the
# README), at desktop and phone widths, with Debian's Chromium (scripts/screenshots.py).
screenshots: seed
	DEBUG=true $(BIN)/python scripts/screenshots.py

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

# Refresh the front-end libraries in static/vendor from the npm registry (they are committed,
# so `make run` needs no Node.js).
vendor:
	npm ci --no-audit --no-fund
	mkdir -p static/vendor
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/

clean:
	rm -rf var
