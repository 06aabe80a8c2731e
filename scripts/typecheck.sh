#!/usr/bin/env bash
# Type-check the package as it installs: reports/ and migrations/ are forensics.reports and
# forensics.migrations (mapped in pyproject.toml), which mypy cannot follow through the
# editable install's import hook. So mypy reads a view of the tree in which they sit
# inside forensics/ (symbolic links, rebuilt on each run; nothing in the tree changes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
view=.venv/typecheck-view
rm -rf "$view" && mkdir -p "$view/forensics"
for entry in forensics/*; do ln -s "$root/$entry" "$view/forensics/"; done
ln -s "$root/reports" "$view/forensics/reports"
ln -s "$root/migrations" "$view/forensics/migrations"
cd "$view"
exec "$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" --cache-dir "$root/.venv/mypy-cache" -p forensics "$@"
