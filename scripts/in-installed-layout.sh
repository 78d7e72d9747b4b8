#!/usr/bin/env bash
# Run a command in the installed layout of the package: a temp folder holding what the wheel holds,
# checks/ as rbh/checks and indexer/ as rbh/indexer (our package-dir mapping), plus pyproject.toml.
#
# Tools that read packages from the file system (import-linter, mypy) cannot follow the mapping, or
# the editable install's import hook: in the work tree checks/ and indexer/ are siblings of rbh/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp -r "$root/rbh" "$tmp/rbh"
cp -r "$root/checks" "$tmp/rbh/checks"
cp -r "$root/indexer" "$tmp/rbh/indexer"
cp "$root/pyproject.toml" "$tmp/"
cd "$tmp"
PYTHONPATH="$tmp" "$@"
