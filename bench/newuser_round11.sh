#!/usr/bin/env bash
# New-user trial, round 11 (bench/README.md "New-user trial, round 11"): rebuild two public
# repositories under /work/data/newuser11/ from their fetched mirrors (full history), write the
# rbh.yaml a new user would write after reading the README, and run rbh check (text and json; first
# without rbh.yaml), rbh check --fail-on error as CI would, rbh index and eight questions per
# repository (written down before any answer was read).
#
#   bash bench/newuser_round11.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND11_ASK=0 bash bench/newuser_round11.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser11
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# openfoodfacts/openfoodfacts-infrastructure (630 commits): a community's infrastructure and on-call
# docs as an MkDocs Material site (docs/*.md: one page per service or server (mongodb, redis,
# postgres, proxmox, nginx reverse proxy, zfs, logs of each host), how-tos (disk space on a VM,
# fail2ban, crawler mitigation, zfs resync) and 74 incident and change reports (docs/reports/)),
# beside the servers' configuration (confs/: nginx, systemd units) and docker compose stacks
# (docker/<stack>/docker-compose.yml).
clone off openfoodfacts+openfoodfacts-infrastructure b7acc315ba4003487e6294023ca9915603fed1c4
cat > "$DATA/off/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
manifests:
  include: ["docker/**/*.yml", "docker/**/*.yaml"]
YAML

# coder/observability (226 commits): the Helm chart that monitors a Coder deployment. Its alert rules
# (coder-observability/templates/_prometheus-alerts.tpl, rendered into compiled/resources.yaml as a
# ConfigMap of rule files) carry a runbook_url into the chart's own runbooks
# (coder-observability/runbooks/<service>.md, served in-cluster by a runbook viewer at
# http://runbook-viewer.coder-observability.svc.cluster.local/<service>#<alert>).
clone coder coder+observability fc4af1ae2dc6faed52f04b50994f0919145eef17
cat > "$DATA/coder/rbh.yaml" <<'YAML'
runbooks:
  include: ["coder-observability/runbooks/*.md"]
manifests:
  include: ["compiled/*.yaml"]
check:
  runbook_urls:
    prefixes:
      "http://runbook-viewer.coder-observability.svc.cluster.local/": "coder-observability/runbooks/"
YAML

cat > "$DATA/questions.txt" <<'Q'
off|mongodb is down
off|how do I resync a stalled zfs replication
off|the disk is full on a server, how do I free space
off|bots are crawling the site and overloading production
off|the ssl certificate expired on the reverse proxy
off|how do I add disk space to a qemu VM in proxmox
off|where are the nginx logs of the reverse proxy
off|matomo is down
coder|CoderdCPUUsage
coder|PostgresDown
coder|fewer coderd replicas are alive than expected
coder|workspace builds keep failing
coder|CoderLicenseSeats
coder|provisionerd daemons are not running
coder|the postgres notification queue is filling up
coder|postgres is running out of connections
Q

# what a new user sees first, before writing any rbh.yaml
noconf_counts off
noconf_counts coder

run_round 11 "off coder"
