#!/usr/bin/env bash
# New-user trial, round 10 (bench/README.md "New-user trial, round 10"): rebuild two public
# repositories under /work/data/newuser10/ from their fetched mirrors (full history), write the
# rbh.yaml a new user would write after reading the README, and run rbh check (text and json; first
# without rbh.yaml), rbh check --fail-on error as CI would, rbh index and eight questions per
# repository (written down before any answer was read).
#
#   bash bench/newuser_round10.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND10_ASK=0 bash bench/newuser_round10.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser10
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# kubernetes/ingress-nginx (8,432 commits): the controller's MkDocs site (docs/: deploy/ install
# and upgrade, troubleshooting.md, faq.md, user-guide/ annotations and ConfigMap reference,
# examples/<topic>/README.md) that a platform team running the controller reads when ingress traffic
# fails, and the install manifests it describes (deploy/static/provider/<cloud>/deploy.yaml, the
# prometheus and grafana kustomizations). Enhancement proposals (KEPs) are left out: not what on-call
# reads.
clone ingress kubernetes+ingress-nginx dbb11b92ddb77bee9c35e462479129354c84f939
cat > "$DATA/ingress/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
  exclude: ["docs/enhancements/**"]
manifests:
  include: ["deploy/**/*.yaml"]
YAML

# Altinity/clickhouse-operator (8,444 commits): the operator's docs (docs/*.md: quick start,
# operator installation and upgrade, replication and ZooKeeper setup, monitoring, storage, schema
# migration), its install bundles and the Prometheus alert rules the monitoring page installs
# (deploy/operator/, deploy/prometheus/, deploy/zookeeper/, deploy/clickhouse-keeper/). The OLM
# bundles (deploy/operatorhub/, one copy per release) and the Helm chart's templates are left out.
clone ch Altinity+clickhouse-operator 50e8d0490678185f290336acbdfbf9534d60367d
cat > "$DATA/ch/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
manifests:
  include: ["deploy/**/*.yaml"]
  exclude: ["deploy/operatorhub/**", "deploy/helm/**"]
YAML

cat > "$DATA/questions.txt" <<'Q'
ingress|ingress returns 503 Service Temporarily Unavailable
ingress|how do I see the nginx.conf the controller generated
ingress|failed calling webhook validate.nginx.ingress.kubernetes.io
ingress|how do I upgrade the ingress controller
ingress|the LoadBalancer service external IP stays pending on bare metal
ingress|the client IP is wrong, I see the load balancer's address instead
ingress|how do I turn on debug logging in the controller
ingress|uploads fail with 413 Request Entity Too Large
ch|ClickHouseReadonlyReplica
ch|how do I upgrade the clickhouse-operator
ch|how do I add replication to an existing cluster
ch|zookeeper is down, what happens to my cluster
ch|how do I change the clickhouse server version of an installation
ch|the operator does not apply my configuration changes to the pods
ch|how do I set up prometheus monitoring and alerts for clickhouse
ch|ClickHouseDiskUsage disk is almost full
Q

# what a new user sees first, before writing any rbh.yaml
noconf_counts ingress
noconf_counts ch

run_round 10 "ingress ch"
