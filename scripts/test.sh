#!/usr/bin/env bash
# Run the whole test suite (sets the environment up first if needed): the linter (ruff),
# the type checker (mypy, through scripts/typecheck.sh), then the tests (pytest).
# PostgreSQL tests use the server at 127.0.0.1:5432 and are skipped, with the reason,
# where none answers (set FORENSICS_REQUIRE_POSTGRES=1 to make that a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> ruff"
.venv/bin/ruff check forensics reports migrations tests benchmarks
echo "==> mypy"
scripts/typecheck.sh
echo "==> pytest"
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
