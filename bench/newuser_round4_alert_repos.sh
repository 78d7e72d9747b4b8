#!/usr/bin/env bash
# New-user trial, round 4 (bench/README.md "New-user trial, round 4 (alert-rule repositories)"):
# rebuild projects that ship Prometheus alert rules with runbook links and the runbooks they link
# to, under /work/data/qa1/, from their fetched mirrors (full history), and print rbh check's counts.
#
#   bash bench/newuser_round4_alert_repos.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml and the rendered or copied rule files are untracked, as a CI job would make them.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/qa1
mkdir -p "$DATA"

# clone NAME owner+repo COMMIT [patterns]: the mirror cloned into $DATA/NAME
# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# grafana/loki: the Loki operator's alerts (a Go template: runbook_url "[[ .RunbookURL ]]#Anchor") and
# its section-per-alert SOP page; the docs also hold a Hugo site (operator/website/)
clone loki grafana+loki 65e30f8488 'operator/' '!operator/**/*.go'
# timescale/promscale: one alert per file (docs/runbooks/<Alert>.md), rules in docs/mixin/alerts/
clone promscale timescale+promscale 6ee8545b '/*' '!pkg/tests/testdata/real-dataset.sz'
# ministryofjustice/cloud-platform-terraform-monitoring: rules + a README with a section per alert
clone mojmon ministryofjustice+cloud-platform-terraform-monitoring bef9163 '/*'
# ministryofjustice/cloud-platform: the Middleman runbook site the rules above also link to
clone mojrunbooks ministryofjustice+cloud-platform 7f879f3 '/*'

# Garudex-Labs/caracal: an Astro Starlight docs site (489 .mdx pages, one section per alert on
# operations/alerts.mdx) and a Helm-templated PrometheusRule whose runbook_urls name that site
clone caracal Garudex-Labs+caracal 6b5b47f21 'docs/' 'infra/' 'tests/' '/*.md' '!*.png' '!*.jpg' '!*.gif' '!*.webp'

mode=${ROUND4_MODE:-config}
if [ "$mode" = config ]; then
  # render the operator's template the way the operator does (its default RunbookURL)
  mkdir -p "$DATA/loki/rendered"
  sed 's#\[\[ *.RunbookURL *\]\]#https://github.com/grafana/loki/blob/main/operator/docs/lokistack/sop.md#' \
    "$DATA/loki/operator/internal/manifests/internal/alerts/prometheus-alerts.yaml" > "$DATA/loki/rendered/loki-alerts.yaml"
  printf 'runbooks:\n  include: ["operator/docs/**/*.md"]\nmanifests:\n  include: ["rendered/*.yaml"]\n' > "$DATA/loki/rbh.yaml"
  cat > "$DATA/promscale/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/runbooks/*.md"]
manifests:
  include: ["docs/mixin/alerts/*.yaml", "docker-compose/**/*.yaml", "docker-compose/*.yml"]
check:
  runbook_urls:
    prefixes: {"https://github.com/timescale/promscale/blob/master/": ""}
YAML
  cat > "$DATA/mojmon/rbh.yaml" <<'YAML'
runbooks:
  include: ["resources/**/*.md"]
manifests:
  include: ["resources/**/*.yaml"]
check:
  runbook_urls:
    prefixes: {"https://github.com/ministryofjustice/cloud-platform-terraform-monitoring/blob/main/": ""}
YAML
  # the sibling repository's rules, checked out next to the runbooks as a CI job would
  rm -rf "$DATA/mojrunbooks/monitoring" && mkdir -p "$DATA/mojrunbooks/monitoring"
  git -C "$DATA/mojmon" archive HEAD resources | tar -x -C "$DATA/mojrunbooks/monitoring"
  cat > "$DATA/mojrunbooks/rbh.yaml" <<'YAML'
runbooks:
  include: ["source/**/*.html.md.erb"]
manifests:
  include: ["monitoring/resources/**/*.yaml"]
check:
  runbook_urls:
    prefixes: {"https://runbooks.cloud-platform.service.justice.gov.uk/": "source/"}
site:
  url: https://runbooks.cloud-platform.service.justice.gov.uk/
YAML
  # no helm here: the chart's one template rendered by dropping its control lines and using 1 for
  # the threshold values (`helm template` in CI gives the same rules)
  mkdir -p "$DATA/caracal/rendered"
  python3 - "$DATA/caracal" <<'PY'
import re, sys
root = sys.argv[1]
src = open(f"{root}/infra/helm/caracal/templates/prometheusrule.yaml").read()
src = re.sub(r"\{\{/\*.*?\*/\}\}\n", "", src, flags=re.S)
out = []
for line in src.splitlines():
    s = line.strip()
    if s.startswith("{{-") or (s.startswith("{{") and s.endswith("}}") and ":" not in s):
        continue
    line = line.replace('{{ include "caracal.fullname" . }}', "caracal")
    out.append(re.sub(r"\{\{ *\.Values\.[A-Za-z0-9.]+ *\}\}", "1", line))
open(f"{root}/rendered/caracal-rules.yaml", "w").write("\n".join(out) + "\n")
PY
  cat > "$DATA/caracal/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/src/content/docs/**/*.mdx", "docs/src/content/docs/**/*.md"]
manifests:
  include: ["rendered/*.yaml"]
check:
  runbook_urls:
    prefixes: {"https://docs.caracal.run/": "docs/src/content/docs/"}
site:
  url: https://docs.caracal.run/
YAML
else  # defaults: what a new user sees before writing any rbh.yaml
  rm -f "$DATA"/{loki,promscale,mojmon,mojrunbooks,caracal}/rbh.yaml
fi

for name in loki promscale mojmon mojrunbooks caracal; do
  "$RBH" check --repo "$DATA/$name" --format json --fail-on never | python3 -c '
import collections, json, sys
d = json.load(sys.stdin)
s = d["summary"]
rules = collections.Counter((f["rule"], f["severity"]) for f in d["findings"])
print("%-12s %-7s runbooks %4d  manifests %3d  errors %3d  warnings %3d  %s" % (sys.argv[1], sys.argv[2],
      s["runbooks_checked"], s.get("manifest_files", 0), s["error"], s["warning"],
      " ".join("%s:%s=%d" % (r, sev[0], n) for (r, sev), n in sorted(rules.items()))))
' "$name" "$mode"
done
