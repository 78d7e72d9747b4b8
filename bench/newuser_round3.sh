#!/usr/bin/env bash
# New-user trial, round 3 (bench/README.md): rebuild the five public runbook repositories under
# /work/data/newuser/ from their fetched mirrors (full history) and print rbh check's counts per rule.
#
#   bash bench/newuser_round3.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# them; rbh.yaml is written only where the repository has no runbooks/ folder rbh could guess from.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser
mkdir -p "$DATA"

# clone NAME owner+repo COMMIT [patterns]: the mirror cloned into $DATA/NAME
# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

clone containersolutions ContainerSolutions+runbooks 6a87848
clone stolostron stolostron+managed-service-runbooks c1fce8c
clone voronenko Voronenko+runbooks-mkdocs 416c970
clone hmcts hmcts+ops-runbooks 8dea67c
clone portfolio samueljackson-collab+Portfolio-Project d971091
# Middleman (tech-docs-template) pages are source/**/*.html.md.erb; the others need no config
printf 'runbooks:\n  include: ["source/**/*.html.md.erb", "source/**/*.md"]\n' > "$DATA/hmcts/rbh.yaml"
# one project of a monorepo: its runbooks, Prometheus rules, compose files and Grafana dashboards
P=projects/01-sde-devops/PRJ-SDE-002
cat > "$DATA/portfolio/rbh.yaml" <<EOF
runbooks:
  include: ["$P/assets/runbooks/*.md", "$P/assets/docs/runbooks/*.md", "$P/docs/*.md"]
manifests:
  include: ["$P/assets/prometheus/**/*.yml", "$P/assets/configs/alert-rules.yml", "$P/assets/configs/alerts/*.yml",
            "$P/assets/configs/prometheus/*.yml", "$P/docker-compose.yml", "$P/assets/docker-compose.yml",
            "$P/assets/grafana/dashboards/*.json", "$P/grafana/dashboards/*.json"]
EOF

for name in containersolutions stolostron voronenko hmcts portfolio; do
  "$RBH" check --repo "$DATA/$name" --format json --fail-on never | python3 -c '
import collections, json, sys
d = json.load(sys.stdin)
s = d["summary"]
rules = collections.Counter((f["rule"], f["severity"]) for f in d["findings"])
print("%-20s runbooks %4d  errors %4d  warnings %3d  %s" % (sys.argv[1], s["runbooks_checked"], s["error"], s["warning"],
      " ".join("%s:%s=%d" % (r, sev[0], n) for (r, sev), n in sorted(rules.items()))))
' "$name"
done
