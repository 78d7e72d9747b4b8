#!/usr/bin/env bash
# mypy on the installed layout (scripts/in-installed-layout.sh): the core, the CLI root and the public
# APIs of the features ([tool.mypy] and its overrides in pyproject.toml). A plain `mypy` in the work
# tree checks the core and the CLI root only: there rbh.checks and rbh.indexer cannot be found.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec bash "$root/scripts/in-installed-layout.sh" "${MYPY:-mypy}" --config-file pyproject.toml \
  --cache-dir "$root/.mypy_cache/installed-layout" "$@"
