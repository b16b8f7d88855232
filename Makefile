# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
STAMP  := $(VENV)/.installed
UV     := $(shell command -v uv 2>/dev/null || echo $(BIN)/uv)

.PHONY: install run test test-db test-clock lock bench messages

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

run: install
	$(BIN)/oyna serve --port $(PORT)

# Each test file runs whole on one of WORKERS processes (pytest-xdist), each with its own session database.
WORKERS ?= auto

test: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

# The database tests again, on the server of DATABASE_URL (any PostgreSQL 15 or newer; the tests make and
# drop their own databases there). .ci/run does this with Debian's PostgreSQL 15.
# Left out of the second database pass, as they run no SQL that its other tests do not: the pages (they call
# the services tested there), CDNOW (the generic import, the retrain and "now" in the past are tested there)
# and the server process's memory.
NOT_SQL = tests/pages tests/data_import/test_cdnow.py tests/cli/test_serve_memory.py

test-db: install
	@test -n "$(DATABASE_URL)" || { echo "make test-db needs DATABASE_URL=postgresql://user:password@host/db"; exit 2; }
	@echo 'pytest -m "db and not browser" with DATABASE_URL, without $(NOT_SQL)'   # the URL may hold a password
	@DATABASE_URL='$(DATABASE_URL)' $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile -m "db and not browser" \
		$(addprefix --ignore ,$(NOT_SQL))

# The suite (without the browser tests) with the clock at 23:45, 00:30, 06:00 and 12:00 Almaty time on the four
# days before today, under libfaketime (Debian's faketime); docs/testing.md.
test-clock: install
	$(BIN)/python -m tests.clock

# Catalogues: messages.pot from the code, every locales/<code>/LC_MESSAGES/messages.po brought up to date
# (new messages empty, stale ones dropped); translate the empty ones, then `make test`. See docs/i18n.md.
messages: install
	$(BIN)/python -m core.i18n.tools update

lock:
	$(UV) pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -q -o requirements.lock

bench: install
	$(BIN)/python -m bench.load --size M
	$(BIN)/python -m bench.models --size M
	$(BIN)/python -m bench.pages --size M
