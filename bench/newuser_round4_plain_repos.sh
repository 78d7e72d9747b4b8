#!/usr/bin/env bash
# New-user trial, round 4 (bench/README.md, plain runbook repositories): rebuild the six public
# repositories under /work/data/qa2/ from their fetched mirrors (full history), run rbh check (text
# and github), rbh index and the five questions per repository written before the answers were read.
#
#   bash bench/newuser_round4_plain_repos.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. rbh.yaml is written only
# where the defaults fail a reasonable user (compose files and Kubernetes manifests outside manifests/).
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/qa2
mkdir -p "$DATA"

# clone NAME owner+repo COMMIT [patterns]: the mirror cloned into $DATA/NAME
# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

clone dataops lincytv+dataops 3b7d12c
clone prasetiyohadi prasetiyohadi+runbooks 3e2b448
clone arcana niran+arcana b449060
clone raqibdev raqibdev+practical-monitoring-observability-blueprint 94ff5ae
clone dockeropt danieleschmidt+docker-optimizer-agent 32c7ded
clone mkdocsrb mingliangguo+runbooks f90a7ba
printf 'manifests:\n  include: ["docker-compose.yml", "observability/**/*.yml", "observability/**/*.yaml"]\n' > "$DATA/raqibdev/rbh.yaml"
cat > "$DATA/dockeropt/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
manifests:
  include: ["docker-compose*.yml", "monitoring/*.yml", "kubernetes-manifests.yaml", "deploy/*.yaml"]
YAML

cat > "$DATA/questions.txt" <<'Q'
dataops|how do I clean up docker disk space on a host
dataops|the jenkins build is failing what do I check
dataops|how do I restart the message bus monitor
dataops|who do I escalate to for a pagerduty alert
dataops|how do I update the runbook documentation site
prasetiyohadi|postgres cluster primary is down how do I fail over
prasetiyohadi|how do I restore the cnpg database from backup
prasetiyohadi|ansible playbook fails with unreachable host
prasetiyohadi|pipeline deploy failed how do I roll back
prasetiyohadi|disk full on a node what do I do
arcana|how do I create a new runbook
arcana|what sections must every runbook have
arcana|how is staleness detected
arcana|where do I find the architecture overview
arcana|how do I roll back a deployment
raqibdev|grafana shows no data what do I check
raqibdev|prometheus target is down
raqibdev|the worker is stuck and not processing jobs
raqibdev|how do I restart the api container
raqibdev|traces are missing in tempo
dockeropt|service is unavailable how do I recover
dockeropt|how do I roll back a bad deployment
dockeropt|high memory usage alert
dockeropt|how do I run the observability stack locally
dockeropt|security scan fails in CI
mkdocsrb|how do I generate an ssl key pair
mkdocsrb|how do I load env variables from a .env file
mkdocsrb|postgres backup and restore
mkdocsrb|how do I set up my mac
mkdocsrb|kubernetes pod logs
Q

for name in dataops prasetiyohadi arcana raqibdev dockeropt mkdocsrb; do
  cd "$DATA/$name"
  "$RBH" check --fail-on never > "$DATA/$name.check.txt" 2>&1 || true
  "$RBH" check --format github --fail-on never > "$DATA/$name.github.txt" 2>&1 || true
  printf '%-14s %s  (github annotations: %s errors)\n' "$name" "$(tail -1 "$DATA/$name.check.txt")" \
    "$(grep -c '^::error' "$DATA/$name.github.txt" || true)"
  "$RBH" index > "$DATA/$name.index.txt" 2>&1
  : > "$DATA/$name.ask.txt"
  grep "^$name|" "$DATA/questions.txt" | cut -d'|' -f2 | while read -r q; do
    { echo "################ Q: $q"; "$RBH" ask "$q" 2>&1 || true; } >> "$DATA/$name.ask.txt"
  done
  grep -h '^\[1\]\|^No runbook' "$DATA/$name.ask.txt" | sed "s/^/    $name: /"
done
