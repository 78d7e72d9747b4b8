#!/usr/bin/env bash
# mypy on the core, the CLI root and rbh.checks ([tool.mypy] in pyproject.toml), as installed.
#
# mypy finds packages on the file system, and our package-dir mapping installs checks/ as rbh.checks
# (and indexer/ as rbh.indexer); in the work tree they are siblings of rbh/, and the editable
# install's import hook is invisible to mypy. So this links the installed layout under
# build/typecheck (links, not copies: the cache stays valid and errors name the real files) and
# checks it there. Plain `mypy` in the work tree checks the core alone.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
layout="$root/build/typecheck"
rm -rf "$layout"
mkdir -p "$layout/rbh"
ln -s "$root"/rbh/*.py "$layout/rbh/"
ln -s "$root/checks" "$layout/rbh/checks"
ln -s "$root/indexer" "$layout/rbh/indexer"  # followed silently for types, not checked yet
cd "$layout"
"${MYPY:-mypy}" --config-file "$root/pyproject.toml" --cache-dir "$root/.mypy_cache" rbh/*.py rbh/checks "$@" \
  | sed -e 's#^rbh/checks/#checks/#' -e 's#^rbh/indexer/#indexer/#'
