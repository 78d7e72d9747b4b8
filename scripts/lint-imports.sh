#!/usr/bin/env bash
# Import-layer contracts (import-linter, [tool.importlinter] in pyproject.toml), checked on the
# installed layout (scripts/installed-layout.sh: checks/ as rbh.checks, indexer/ as rbh.indexer).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash "$root/scripts/installed-layout.sh" "$tmp"
cd "$tmp"
PYTHONPATH="$tmp" "${LINT_IMPORTS:-lint-imports}" pyproject.toml
