#!/usr/bin/env bash
# Assemble the installed layout of the package in folder $1: what the wheel holds, with checks/ as
# rbh/checks and indexer/ as rbh/indexer (our package-dir mapping), plus pyproject.toml.
#
# Tools that read packages from the file system (import-linter, mypy) cannot follow the mapping,
# or the editable install's import hook: in the work tree checks/ and indexer/ are siblings of rbh/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$1"
cp -r "$root/rbh" "$dest/rbh"
cp -r "$root/checks" "$dest/rbh/checks"
cp -r "$root/indexer" "$dest/rbh/indexer"
cp "$root/pyproject.toml" "$dest/"
