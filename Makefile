# Involvement: `make run` to see the site with demo data, `make test` to run the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check format vendor migrate seed clean worker

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

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint
	$(BIN)/mypy .
	DEBUG=true $(BIN)/python manage.py check
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

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
