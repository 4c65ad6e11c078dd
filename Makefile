# Two commands for a fresh clone: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run serve seed test test-fast check lint format browsers bench bench-curve bench-import collectstatic clean vnu messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The English catalogue, compiled in pure Python (polib): no GNU gettext needed.
MO := locale/en/LC_MESSAGES/django.mo
$(MO): locale/en/LC_MESSAGES/django.po $(STAMP)
	$(PY) manage.py compile_translations

install: $(STAMP) $(MO)

# The English catalogue regenerated from the messages the code marks (Python, Jinja2 and
# Django templates): new ones added untranslated, for you to write their English.
messages: $(STAMP)
	$(PY) manage.py update_translations

# Installs everything, migrates, loads the geography and the seed data, serves on SQLite.
run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:$(PORT)

seed: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py seed

# Lint, formatting, migrations in step with the models, the catalogue with the code,
# deployment checks.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py update_translations --check
	DEBUG=0 SITE_PUBLISHER=check SITE_PUBLISHER_ADDRESS=check SITE_PUBLICATION_DIRECTOR=check \
		SITE_HOSTING_PROVIDER=check SITE_HOSTING_ADDRESS=check SITE_CONTACT_EMAIL=check@example.org \
		SECRET_KEY=check-deploy-$$(date +%s)-not-a-real-secret-key-0123456789abcdef \
		ALLOWED_HOSTS=essdir.example.org $(PY) manage.py check --deploy --fail-level WARNING

# The W3C Nu HTML validator for tests/essdir/test_html_validity.py (needs java 17+ and npm).
vnu: install
	bash bin/install-vnu

# The whole suite, in TEST_WORKERS processes (pytest-xdist; 0: in this one), each with its
# own test database; browser tests need Debian's Chromium (`make browsers`, or .ci/run).
TEST_WORKERS ?= 2
test: check vnu
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The suite without the checks, keeping the test databases between runs (--reuse-db;
# --create-db rebuilds them after a new migration of a changed model): for local use.
test-fast: install vnu
	$(PY) -m pytest -n $(TEST_WORKERS) --reuse-db $(PYTEST_ARGS)

# Debian's Chromium for the Playwright tests (never `playwright install`).
browsers:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

lint: install
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

collectstatic: install
	$(PY) manage.py collectstatic --noinput

bench: install
	bash bench/run

# The cost of the slowest pages against the dataset's size (20 000, 200 000, 1 000 000
# structures); see bench/README.md.
bench-curve: install
	bash bench/curve

# The SIRENE import at scale (5 M establishment rows) on PostgreSQL; see bench/import.
bench-import: install
	$(PY) bench/import

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
