#!/usr/bin/env bash
# Import-layer contracts (import-linter, [tool.importlinter] in pyproject.toml), checked on the
# installed layout (scripts/in-installed-layout.sh: checks/ as rbh.checks, indexer/ as rbh.indexer).
set -euo pipefail
exec bash "$(dirname "$0")/in-installed-layout.sh" "${LINT_IMPORTS:-lint-imports}" pyproject.toml
