#!/usr/bin/env bash
# Re-run the check part of new-user rounds 10-12 (bench/README.md) on their existing clones, writing
# every report under /work/data/fixes13/LABEL/ (the rounds' own saved outputs are left alone), so that
# two LABELs (before and after a change) can be compared report by report.
#
#   bash bench/recheck_rounds.sh LABEL [RBH]    # RBH: the rbh to run (default: .venv/bin/rbh)
#
# The clones are made by bench/newuser_round10.sh, 11 and 12; this script only links them.
# RECHECK_PAIRS="newuser6/rommel newuser8/kyma" checks other rounds' clones the same way.
set -euo pipefail
LABEL=${1:?label}
RBH=${2:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/fixes13/$LABEL
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

PAIRS=${RECHECK_PAIRS:-newuser10/ingress newuser10/ch newuser11/off newuser11/coder newuser12/cnpg}
for pair in $PAIRS; do
  ln -sfn "/work/data/$pair" "$DATA/${pair#*/}"
done
for pair in $PAIRS; do
  name=${pair#*/}
  noconf_counts "$name"
  check_counts "$name"
  ci_exit "$name"
done
