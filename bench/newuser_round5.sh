#!/usr/bin/env bash
# New-user trial, round 5 (bench/README.md "New-user trial, round 5"): rebuild three public
# repositories under /work/data/newuser5/ from their fetched mirrors (full history), write the
# rbh.yaml a new user would write after reading the README, and run rbh check (text and json),
# rbh index and the questions per repository (written before any answer was read).
#
#   bash bench/newuser_round5.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND5_ASK=0 bash bench/newuser_round5.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml and the copied or rendered rule files are untracked, as a CI job would make them.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser5
mkdir -p "$DATA"

# clone NAME owner+repo COMMIT [patterns]: the mirror cloned into $DATA/NAME
# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# alphagov/govuk-developer-docs: a Middleman tech-docs site (`source/**/*.html.md`, some `.erb`),
# one page per alert in source/manual/alerts/; 13,026 commits. Its alert rules live in another
# repository (alphagov/govuk-helm-charts, charts/monitoring-config/rules/*.yaml, next to promtool
# test files *_tests.yaml) and link https://docs.publishing.service.gov.uk/manual/...
clone govuk alphagov+govuk-developer-docs 972d1b441
rm -rf "$DATA/govuk/monitoring" && mkdir -p "$DATA/govuk/monitoring"
git --git-dir=/work/.mirror/alphagov+govuk-helm-charts/repo archive 6aa2976855 charts/monitoring-config/rules \
  | tar -x -C "$DATA/govuk/monitoring" --strip-components=2
cat > "$DATA/govuk/rbh.yaml" <<'YAML'
runbooks:
  include: ["source/**/*.html.md", "source/**/*.html.md.erb"]
manifests:
  include: ["monitoring/rules/**/*.yaml"]
check:
  runbook_urls:
    prefixes: {"https://docs.publishing.service.gov.uk/": "source/"}
site:
  url: https://docs.publishing.service.gov.uk/
YAML

# PagerDuty/incident-response-docs: an MkDocs site (custom theme) of incident-response process pages;
# no alert rules. rbh's defaults (every *.md but README) fit it.
clone pagerduty PagerDuty+incident-response-docs e8a6182 '/*' '!*.pdf' '!docs/assets/img/headers/iStock-*'  # two big blobs are not in the mirror

# imusmanmalik/cert-manager-mixin: a monitoring mixin: RUNBOOK.md with one section per alert at the
# root, alerts in jsonnet (runbook_url pattern .../blob/main/RUNBOOK.md#<alert lower-cased>), a
# promtool test file tests.yaml. CI renders the alerts with jsonnet; here the Python binding in a
# venv of its own (not a project dependency) renders alerts + config, as `make prometheus_alerts.yaml`.
clone certmgr imusmanmalik+cert-manager-mixin a5f74ad
if [ ! -x "$DATA/jsonnet-venv/bin/python" ]; then
  python3 -m venv "$DATA/jsonnet-venv" && "$DATA/jsonnet-venv/bin/pip" install -q jsonnet
fi
mkdir -p "$DATA/certmgr/rendered"
(cd "$DATA/certmgr" && "$DATA/jsonnet-venv/bin/python" -c '
import _jsonnet, json, sys
src = "std.manifestYamlDoc(((import \"alerts/alerts.libsonnet\") + (import \"config.libsonnet\")).prometheusAlerts)"
print(json.loads(_jsonnet.evaluate_snippet("render", src)))' > rendered/prometheus_alerts.yaml)
cat > "$DATA/certmgr/rbh.yaml" <<'YAML'
manifests:
  include: ["rendered/*.yaml"]
check:
  runbook_urls:
    prefixes: {"https://github.com/imusmanmalik/cert-manager-mixin/blob/main/": ""}
YAML

cat > "$DATA/questions.txt" <<'Q'
govuk|High5xxRate
govuk|RouterErrorRatioTooHigh
govuk|PublishingApiOldLocksPresent
govuk|[FIRING:1] SidekiqAnswerQueueLength Sidekiq Answer Queue Length High
govuk|[FIRING:1] WhitehallScheduledPublicationsOverdue Whitehall scheduled publications are overdue. There are scheduled editions which have passed their publication due date but haven't been published by the scheduled publishing workers
govuk|documents are published but not showing on the live site
govuk|how do I fall back to the static mirror when the origin is down
govuk|how do I clear the redis cache
govuk|elasticsearch cluster health is red
pagerduty|what does the incident commander do during a major incident
pagerduty|how do I decide the severity level of an incident
pagerduty|how do I write a postmortem
pagerduty|I just got paged, what should I do first
pagerduty|we think there is a security breach, what do we do
pagerduty|how do we communicate with customers during an outage
pagerduty|what is the role of the deputy
certmgr|CertManagerCertExpirySoon
certmgr|CertManagerAbsent
certmgr|[FIRING:1] CertManagerHittingRateLimits Cert manager hitting LetsEncrypt rate limits. Depending on the rate limit, cert-manager may be unable to generate certificates for up to a week.
certmgr|certificate is not ready, ingress serves the wrong cert
certmgr|cert-manager pod is gone from prometheus
certmgr|how do I renew a certificate that is about to expire
kubermatic|KubermaticAPIDown
kubermatic|KubePersistentVolumeFillingUp
kubermatic|[FIRING:1] HttpProbeFailed Probing the blackbox-exporter target https://dashboard.example.com failed.
kubermatic|how do I back up and restore etcd of a user cluster
kubermatic|how do I upgrade KKP to a new version
kubermatic|machine deployment nodes are not joining the cluster
Q

# kubermatic/docs: a Hugo site with one content tree per release (content/kubermatic/v2.29/...), every
# page a folder's `_index.en.md`; the alert rules sit in the site's data (data/kubermatic/<version>/
# runbook.json, Prometheus rule groups as JSON) and a layout renders the "Alerting Runbook" page from
# them. The rules' runbook_urls name https://docs.kubermatic.com/kubermatic/latest/... (latest = the
# newest release). The runbook globs take that release's tree only.
clone kubermatic kubermatic+docs 1fb86c415 '/*'  # the pattern tolerates a few images missing from the mirror
cat > "$DATA/kubermatic/rbh.yaml" <<'YAML'
runbooks:
  include: ["content/kubermatic/v2.29/**/*.md"]
manifests:
  include: ["data/kubermatic/v2.29/*.json"]
check:
  runbook_urls:
    prefixes: {"https://docs.kubermatic.com/kubermatic/latest/": "content/kubermatic/v2.29/"}
site:
  url: https://docs.kubermatic.com/
YAML

NAMES=${ROUND5_NAMES:-govuk pagerduty certmgr kubermatic}
for name in $NAMES; do
  check_counts "$name"
done

[ "${ROUND5_ASK:-1}" = 1 ] || exit 0
for name in $NAMES; do
  ask_questions "$name"
done
