#!/usr/bin/env bash
# mypy on the installed layout (scripts/in-installed-layout.sh): the core, the CLI root, rbh.checks and
# the indexer's public APIs ([tool.mypy] and its overrides in pyproject.toml). A plain `mypy` in the
# work tree checks the core and the CLI root only: there rbh.checks and rbh.indexer cannot be found
# (our package-dir mapping; the editable install's import hook is invisible to mypy).
# Error paths are mapped back to the work tree's checks/ and indexer/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/in-installed-layout.sh" "${MYPY:-mypy}" --config-file pyproject.toml \
  --cache-dir "$root/.mypy_cache/installed-layout" "$@" \
  | sed -e 's#^rbh/checks/#checks/#' -e 's#^rbh/indexer/#indexer/#'
