#!/usr/bin/env bash
# New-user trial, round 9 (bench/README.md "New-user trial, round 9"): rebuild two public repositories
# under /work/data/newuser9/ from their fetched mirrors (full history), write the rbh.yaml a new user
# would write after reading the README, and run rbh check (text and json; first without rbh.yaml),
# rbh check --fail-on error as CI would, rbh index and four questions per repository (written down
# before any answer was read).
#
#   bash bench/newuser_round9.sh [RBH]      # RBH: the rbh to run (default: .venv/bin/rbh)
#   ROUND9_ASK=0 bash bench/newuser_round9.sh   # check only
#
# The mirrors come from the `fetch` tool: /work/.mirror/<owner>+<name>/repo. Nothing is committed to
# the clones; rbh.yaml is untracked, as a CI job would make it.
set -euo pipefail
RBH=${1:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/newuser9
mkdir -p "$DATA"

# shellcheck source=bench/mirror.sh
source "$(dirname "$0")/mirror.sh"

# argoproj/argo-cd (11,298 commits): the operator manual an Argo CD platform team points on-call at
# (docs/operator-manual/: troubleshooting, disaster recovery, high availability, upgrading/<a>-<b>.md,
# notifications/, a mkdocs site) and the install manifests it describes (manifests/base/<component>/
# Kustomize bases, manifests/install.yaml and ha/ bundles, CRDs). The rest of docs/ (user guide,
# developer guide) is left out: not what on-call reads.
# (sparse: the mirror lacks a few large docs/snyk/ HTML blobs; the rest of docs/ is checked out so
# that links from the operator manual into the user guide resolve)
clone argocd argoproj+argo-cd 37ee0097cf851bc2dd7665fc081bbce61a7e836e '/docs/' '!/docs/snyk/' '/manifests/' '/mkdocs.yml' '/README.md'
cat > "$DATA/argocd/rbh.yaml" <<'YAML'
runbooks:
  include: ["docs/operator-manual/**/*.md"]
manifests:
  include: ["manifests/**/*.yaml"]
YAML

# zalando/postgres-operator (1,532 commits): the operator's docs (docs/*.md: administrator, user,
# quickstart, reference/) that a team running Postgres on it reads when a cluster misbehaves, and
# the manifests/ folder of example clusters, CRDs and the operator's deployment. rbh's defaults
# (runbooks: every *.md but README/CONTRIBUTING/SECURITY/.github; manifests: manifests/**).
clone zpo zalando+postgres-operator a7aaad0a0b9517bb46077f2925eb80ae8ebe1a0c

cat > "$DATA/questions.txt" <<'Q'
argocd|my application is stuck out of sync and keeps progressing forever
argocd|how do I back up and restore argo cd
argocd|argocd-repo-server is OOMKilled
argocd|I lost the admin password, how do I reset it
zpo|how do I restore a postgres cluster from a backup
zpo|the operator does not create my cluster, where do I look
zpo|how do I upgrade the postgres major version
zpo|how do I rotate the password of a database user
Q

# what a new user sees first, before writing any rbh.yaml
noconf_counts argocd

run_round 9 "argocd zpo"
