#!/usr/bin/env bash
# New-user trial, round 8 (bench/README.md "New-user trial, round 8"): rebuild three public repositories
# under /work/data/newuser8/ from their fetched mirrors (full history), write the rbh.yaml a new user
# would write after reading the README, and run rbh check (text and json; first without rbh.yaml),
# rbh check --fail-on error as CI would, rbh index and the questions per repository (written down
# before any answer was read).
#
#   bash bench/newuser_round8.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND8_ASK=0 bash bench/newuser_round8.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser8
mkdir -p "$DATA"

# clone NAME owner+repo COMMIT [patterns]: the mirror cloned into $DATA/NAME
# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# kyma-project/kyma at the last commit of 2022 (9,524 commits in the mirror, 8,409 up to it): a
# platform monorepo. Docs in docs/<NN-area>/ (numbered files, a metadata.yaml per folder, `title:`
# front matter, rendered by the kyma-project.io site) with troubleshooting guides in
# docs/04-operation-guides/troubleshooting/<area>/ (Symptom / Cause / Remedy); every component a
# Helm chart under resources/ (Chart.yaml, values.yaml, templates/ with `{{ include "x.fullname" . }}`
# names), CRDs under installation/resources/crds/, a few Kustomize bases under components/. The
# kube-prometheus rule copies in resources/monitoring are left out (reserved for evaluation).
clone kyma kyma-project+kyma ad81d77278448f35e4c9f64350e4f78784e05f53
cat > "$DATA/kyma/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/**/*.md"]
manifests:
  include: ["resources/**/*.yaml", "installation/resources/**/*.yaml"]
  exclude: ["resources/monitoring/templates/prometheus/rules-1.14/**"]
YAML

# SkeltonThatcher/run-book-template (27 commits): the run book template teams fork and fill in, one
# file of `## Area` / `### Topic` sections, each a `>` question and an `_(e.g. ...)_` example; no
# manifests. rbh's defaults (its README is excluded by default).
clone rbt SkeltonThatcher+run-book-template 7014714

# rust-lang/rust-forge (2,048 commits): the Rust project's mdBook (book.toml, src/SUMMARY.md,
# `[output.html.redirect]` for moved pages): infra how-tos (src/infra/docs/: bastion, CDN, AWS access),
# docs.rs maintenance, release procedures and policies, triagebot pages that link to the bot's source
# in another repository. No manifests. rbh's defaults.
clone forge rust-lang+rust-forge 4a6c16c

cat > "$DATA/questions.txt" <<'Q'
kyma|LokiDiscardsLogs
kyma|my function is stuck building and never becomes ready
kyma|curl to my kyma domain says could not resolve host
kyma|my APIRule returns 401 unauthorized
kyma|NATS JetStream storage is full and events are not delivered
kyma|pods in my namespace don't get an istio sidecar
rbt|how do I restore the system from a backup
rbt|how do we fail over to the secondary data centre
rbt|how are the log files rotated
rbt|how do we patch the operating system
rbt|how do I check the system is healthy after a deployment
forge|how do I ssh into the bastion host
forge|docs.rs builds are stuck, how do I restart the build queue
forge|the nightly release is broken, what do we do
forge|how do I get access to the AWS console
forge|how do I purge the CDN cache for static.rust-lang.org
Q

# what a new user sees first, before writing any rbh.yaml
noconf_counts kyma

run_round 8 "kyma rbt forge"
