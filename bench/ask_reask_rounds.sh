#!/usr/bin/env bash
# Re-ask the 82 new-user questions of rounds 4 to 7 (bench/README.md, "Issue 14, round 4") and print
# the first three results of each, one line per question, for a before/after diff of two rbh builds.
#
#   bash bench/ask_reask_rounds.sh OUT [RBH]     # RBH: the rbh to run (default: .venv/bin/rbh)
#
# Works on copies under /work/data/retrieval2/ (made once from /work/data/retrieval, round 3's copies
# of rounds 4-6, and /work/data/newuser7); each copy is re-indexed with RBH first (the index is the same
# for both builds when only the query side differs). Questions: rounds 5 and 6 (without kubermatic,
# as in round 3), round 4's dataops / prasetiyohadi / dockeropt, round 7.
set -euo pipefail
OUT=$(realpath -m "$1")
RBH=${2:-$(pwd)/.venv/bin/rbh}
DATA=/work/data/retrieval2
mkdir -p "$DATA"
cd "$DATA"
for src in /work/data/retrieval/* /work/data/newuser7/tsc /work/data/newuser7/nais /work/data/newuser7/rook; do
  [ -d "$(basename "$src")" ] || cp -a "$src" "$(basename "$src")"
done
{ grep -v '^kubermatic' /work/data/newuser5/questions.txt; cat /work/data/newuser6/questions.txt
  grep -E '^(dataops|prasetiyohadi|dockeropt)\|' /work/data/qa2/questions.txt; cat /work/data/newuser7/questions.txt; } > questions.txt
for n in $(cut -d'|' -f1 questions.txt | sort -u); do
  (cd "$n" && rm -f .rbh/ask-cache.json && "$RBH" index --full > /dev/null 2>&1) || echo "index $n failed" >&2
done
: > "$OUT"
while IFS='|' read -r n q; do
  (cd "$n" && "$RBH" ask --json --no-health -k 3 "$q" 2>/dev/null || true) | python3 -c '
import json, sys
n, q = sys.argv[1], sys.argv[2]
try:
    d = json.load(sys.stdin)
except ValueError:
    print(f"{n}|{q}|ERROR")
    sys.exit()
top = [" > ".join(r["heading_path"] or [r["title"] or ""]) + " [" + r["path"] + "#" + (r["anchor"] or "") + "]" for r in d["results"]]
print(f"{n}|{q}|" + " || ".join(top))' "$n" "$q" >> "$OUT"
done < questions.txt
wc -l < "$OUT"
