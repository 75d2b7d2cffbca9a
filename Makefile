# Two commands for a new machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: sdk-types run test test-busy test-faults lint format install install-dev migrate demo clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/activate requirements.txt pyproject.toml scripts/system-packages.txt
	./scripts/install-system-packages.sh
	$(PIP) install -q -r requirements.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt scripts/test-system-packages.txt
	./scripts/install-system-packages.sh scripts/test-system-packages.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

scripts/system-packages.txt:
	touch $@

# The TypeScript SDK's build and test tools (tsc, openapi-typescript, standardwebhooks, express), from its
# lock file; tests/sdk_typescript use them offline. Node.js >= 18 with npm is needed (nodejs is in
# scripts/test-system-packages.txt; NodeSource's package brings npm, Debian's needs `apt-get install npm`).
TS_SDK := sdks/typescript
$(TS_SDK)/node_modules/.installed: $(TS_SDK)/package.json $(TS_SDK)/package-lock.json scripts/test-system-packages.txt
	./scripts/install-system-packages.sh scripts/test-system-packages.txt
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js >= 18 with npm (apt-get install nodejs npm)"; exit 1; }
	cd $(TS_SDK) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# After an API change: regenerate the TypeScript SDK's types from the schema (tests/sdk_typescript fail
# until they match the running server's /api/schema).
sdk-types: install-dev
	mkdir -p var && $(PY) manage.py spectacular --format openapi-json --file var/schema.json
	cd $(TS_SDK) && npm run -s gen:types -- ../../var/schema.json

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(TS_SDK)/node_modules/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py demo_data

run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: demo
	PORT=$(PORT) ./scripts/run.sh

test: install-dev
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest $(PYTEST_ARGS)

# The whole suite while two CPU-bound processes keep both cores busy (a shared CI host is rarely
# idle); `BUSY_PROCESSES=n` for more or fewer.
test-busy: install-dev
	./scripts/busy.sh $(MAKE) --no-print-directory test

# The fault suite alone (`make test` runs it too): real servers stopped, real processes killed.
test-faults: PYTEST_ARGS += tests/faults
test-faults: test

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache $(TS_SDK)/node_modules $(TS_SDK)/dist
