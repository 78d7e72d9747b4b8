#!/usr/bin/env bash
# New-user trial, round 14 (bench/README.md "New-user trial, round 14"): rebuild one public repository
# under /work/data/newuser14/ from its fetched mirror (full history), write the rbh.yaml a new user
# would write after reading the README, and run rbh check (text and json; first without rbh.yaml)
# and rbh check --fail-on error as CI would. A check round: no questions were asked.
#
#   bash bench/newuser_round14.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#
# The mirror comes from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clone; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser14
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# alexpermiakov/paved-road-platform (10 commits): an EKS platform run with Terraform and Argo CD;
# runbooks in docs/runbooks/ (Cilium migration, disaster recovery, SLO budget burn, ...) and an
# operations guide in docs/; a Helm chart every service uses (helm-charts/standard-service), Kyverno
# policies (YAML), and the Prometheus alert rules as HCL objects in Terraform
# (infra/modules/monitoring/slo.tf: kubectl_manifest with yamlencode({ kind = "PrometheusRule" ... })),
# whose runbook_urls are GitHub blob URLs into docs/runbooks/.
clone prp alexpermiakov+paved-road-platform b34b6a56d9408eba790c4c43d720c6b0d0d4a8f9
cat > "$DATA/prp/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
manifests:
  include: ["helm-charts/standard-service/templates/*.yaml", "infra/modules/security/kyverno-policies/*.yaml", "infra/modules/monitoring/*.tf"]
YAML

# what a new user sees first, before writing any rbh.yaml
noconf_counts prp

run_round 14 "prp" check
