# Sourced by the new-user trial scripts: materialise a public repository from its fetched mirror
# (/work/.mirror/<owner>+<name>/repo, made by the `fetch` tool) with its full history.
#
#   clone_mirror DIR owner+repo COMMIT [SPARSE PATTERN ...]
#   clone NAME owner+repo COMMIT [SPARSE PATTERN ...]     # into "$DATA/NAME" ($DATA: the script's data folder)
#   check_counts NAME    # rbh check ($RBH) in "$DATA/NAME": NAME.check.txt/.json and one line of counts per rule
#   noconf_counts NAME   # rbh check with the clone's rbh.yaml set aside (what a new user sees first): NAME.noconf.json
#   ci_exit NAME         # the exit code of `rbh check --fail-on error`, as CI sees it
#   ask_questions NAME   # rbh index --full, then every "NAME|question" of $DATA/questions.txt: NAME.ask.txt
#
# With patterns, only those paths are checked out (some mirrors lack a few large test blobs).
# An existing clone is reused; nothing is ever committed to it.
clone_mirror() {
  local dir=$1 mirror="/work/.mirror/$2/repo" commit=$3
  shift 3
  if [ ! -d "$dir/.git" ]; then
    if [ "$#" -gt 0 ]; then
      git clone -q --no-checkout "$mirror" "$dir"
      git -C "$dir" sparse-checkout set --no-cone "$@"
    else
      git clone -q "$mirror" "$dir"
    fi
  fi
  if [ "$#" -gt 0 ]; then
    git -C "$dir" checkout -q "$commit" 2>/dev/null || true  # a missing blob outside the patterns
  else
    git -C "$dir" checkout -q "$commit"
  fi
}

clone() {
  local name=$1
  shift
  clone_mirror "$DATA/$name" "$@"
}

check_counts() {
  local name=$1
  cd "$DATA/$name"
  "$RBH" check --fail-on never > "$DATA/$name.check.txt" 2>&1 || true
  "$RBH" check --format json --fail-on never > "$DATA/$name.check.json" 2>/dev/null || true
  python3 - "$name" "$DATA/$name.check.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[2]))
s = d["summary"]
rules = collections.Counter((f["rule"], f["severity"]) for f in d["findings"])
print("%-10s runbooks %4d  manifests %3d  errors %3d  warnings %3d  info %3d  %s" % (sys.argv[1],
      s["runbooks_checked"], s.get("manifest_files", 0), s["error"], s["warning"], s.get("info", 0),
      " ".join("%s:%s=%d" % (r, sev[0], n) for (r, sev), n in sorted(rules.items()))))
PY
}

noconf_counts() {
  local name=$1
  cd "$DATA/$name"
  mv rbh.yaml rbh.yaml.aside
  "$RBH" check --format json --fail-on never > "$DATA/$name.noconf.json" 2>/dev/null || true
  mv rbh.yaml.aside rbh.yaml
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["summary"]; print("%-10s (no rbh.yaml) runbooks %4d  errors %3d  warnings %3d" % (sys.argv[2], s["runbooks_checked"], s["error"], s["warning"]))' "$DATA/$name.noconf.json" "$name"
}

ci_exit() {
  local name=$1 rc=0
  (cd "$DATA/$name" && "$RBH" check --fail-on error > /dev/null 2>&1) || rc=$?
  echo "$name       rbh check --fail-on error: exit $rc"
}

ask_questions() {
  local name=$1
  cd "$DATA/$name"
  # the ask cache keys its alert catalog on the rule files and rbh's version, not on this branch's
  # commits: start without it so that each run reflects the code under test; --full re-titles pages
  rm -f .rbh/ask-cache.json
  "$RBH" index --full > "$DATA/$name.index.txt" 2>&1
  : > "$DATA/$name.ask.txt"
  grep "^$name|" "$DATA/questions.txt" | cut -d'|' -f2- | while read -r q; do
    { echo "################ Q: $q"; "$RBH" ask "$q" 2>&1 || true; } >> "$DATA/$name.ask.txt"
  done
  grep -h '^\[1\]\|^No runbook' "$DATA/$name.ask.txt" | sed "s/^/    $name: /" || true
}

# The round itself: every repository's check counts and CI exit code (ROUND<n>_NAMES narrows the
# list), then its questions unless ROUND<n>_ASK=0 or the round asks none (a third argument other
# than "ask").
run_round() {
  local round=$1 names=$2 asks=${3:-ask}
  local names_var="ROUND${round}_NAMES" ask_var="ROUND${round}_ASK"
  names=${!names_var:-$names}
  for name in $names; do
    check_counts "$name"
    ci_exit "$name"  # 1: error findings
  done
  if [ "$asks" != ask ] || [ "${!ask_var:-1}" != 1 ]; then
    return 0
  fi
  for name in $names; do
    ask_questions "$name"
  done
}
