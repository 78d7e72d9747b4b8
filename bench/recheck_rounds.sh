#!/usr/bin/env bash
# Re-run the check part of new-user rounds 10-12 (bench/README.md) on their existing clones, writing
# every report under /work/data/fixes13/LABEL/ (the rounds' own saved outputs are left alone), so that
# two LABELs (before and after a change) can be compared report by report.
#
#   bash bench/recheck_rounds.sh LABEL [RBH]    # RBH: the rbh to run (default: .venv/bin/rbh)
#
# The clones are made by bench/newuser_round10.sh, 11 and 12; this script only links them.
set -euo pipefail
LABEL=${1:?label}
RBH=${2:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/fixes13/$LABEL
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

for pair in newuser10/ingress newuser10/ch newuser11/off newuser11/coder newuser12/cnpg; do
  name=${pair#*/}
  ln -sfn "/work/data/$pair" "$DATA/$name"
done
for name in ${RECHECK_NAMES:-ingress ch off coder cnpg}; do
  noconf_counts "$name"
  check_counts "$name"
  ci_exit "$name"
done
