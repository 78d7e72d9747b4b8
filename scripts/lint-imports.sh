#!/usr/bin/env bash
# Import-layer contracts (import-linter, [tool.importlinter] in pyproject.toml).
#
# import-linter reads packages from the file system, and our package-dir mapping installs checks/ as
# rbh.checks and indexer/ as rbh.indexer; in the work tree they are siblings of rbh/. So this
# assembles the installed layout (what the wheel holds) in a temp folder and lints that.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/rbh" "$tmp/rbh"
cp -r "$root/checks" "$tmp/rbh/checks"
cp -r "$root/indexer" "$tmp/rbh/indexer"
cp "$root/pyproject.toml" "$tmp/"
cd "$tmp"
PYTHONPATH="$tmp" "${LINT_IMPORTS:-lint-imports}" pyproject.toml
