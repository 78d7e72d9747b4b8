"""Build more `rbh eval` sets the way the OpenShift set was built (../shared/bench-data/openshift).

Each set: a public runbook repository (markdown copied verbatim, paths kept), the alert rules whose
``runbook_url`` points into it, and ``queries.jsonl``: one query per summary and description of each
alert, the expected answer being the runbook its ``runbook_url`` names. Nothing is written by hand
except the placeholder values used to fill templates (the same kind of plausible values the OpenShift
set uses: a namespace ``payments``, a pod ``payments-db-2`` ...).

Sets (inputs are bare git directories as the search tool's ``fetch`` brings them):

- ``kubevirt``: runbooks of kubevirt/monitoring (``docs/runbooks/*.md``, one alert a file, published at
  ``https://kubevirt.io/monitoring/runbooks/<Alert>``, a site URL without ``.md``). The alerts are
  defined in Go (kubevirt/kubevirt, kubevirt/hyperconverged-cluster-operator); their rendered
  summary and description come from the projects' own promtool rule tests
  (``hack/prom-rule-ci/*.yaml``, ``exp_annotations``: text exactly as Prometheus renders it), and a
  rule file with those alerts is written so alert lookup can be measured too.
- ``cnpg``: runbooks of cloudnative-pg/charts (``charts/cluster/docs/runbooks/*.md``, setext headings,
  GitHub blob URLs); its Helm-templated rule files, with Helm and Prometheus placeholders filled.
- ``srerun``: srerun/prometheus-alerts, a Hugo site (``content/runbooks/<exporter>/<Alert>.md``, front
  matter, one alert a page, 407 SNMP-trap pages and 105 section indexes beside them) and the rule
  files it documents (``rules/**/*.yml``, awesome-prometheus-alerts' rules), whose ``runbook``
  annotation is the page URL as Hugo publishes it (lower-cased: ``.../runbooks/blackbox-exporter/
  blackboxprobefailed/``). Templates filled as for cnpg (``{{ $labels }}`` becomes one label value,
  not Prometheus' ``map[...]``). Each page quotes its alert rule, templates unrendered, in a
  ``{{% comment %}}`` block, so the page source holds the query words: an easier set for any method.

    python bench/build_ask_sets.py --mirror /work/.mirror --out /work/data/ask [--sets kubevirt,cnpg,srerun]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

FILL = {  # plausible values for placeholders, as in the OpenShift set
    "namespace": "payments", "cluster": "payments-db", "job": "payments-db", "pod": "payments-db-2",
    "instance": "10.128.2.15:9187", "node": "worker-2", "name": "payments-db", "value": "87.5",
    "podselector": "payments-db-.*", "service": "payments-db", "container": "postgres",
}


def git(gitdir: Path, *args: str) -> str:
    return subprocess.run(["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True, text=True).stdout


def head(gitdir: Path) -> tuple[str, str]:
    sha, date = git(gitdir, "log", "-1", "--format=%H %cs").split()
    return sha, date


def export(gitdir: Path, path: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(subprocess.run(["git", f"--git-dir={gitdir}", "show", f"HEAD:{path}"], check=True,
                                    capture_output=True).stdout)


def files(gitdir: Path, prefix: str) -> list[str]:
    return [p for p in git(gitdir, "ls-tree", "-r", "--name-only", "HEAD", prefix).splitlines() if p]


def fill(text: str) -> tuple[str, bool]:
    """Fill ``{{ ... }}`` actions with plausible values; True when a block had to be dropped."""
    lossy = False

    def one(m: re.Match[str]) -> str:
        nonlocal lossy
        inner = m.group(1).strip().lstrip("-").rstrip("-").strip()
        if re.match(r"^(if|else|end|range|with)\b", inner):
            lossy = True
            return ""
        key = re.findall(r"[A-Za-z_]+", inner.split("|")[0])
        key = key[-1].lower() if key else ""
        return FILL.get(key, "payments-db" if "label" in inner else "x")

    out = re.sub(r"\{\{(.*?)\}\}", one, text, flags=re.S)
    return re.sub(r"[ \t]+", " ", out).strip(), lossy


def write_rules(out: Path, name: str, rules: list[dict]) -> None:
    """The set's alert rules as one plain Prometheus rule file, ``rules/<name>-alerts.yaml``."""
    (out / "rules").mkdir(parents=True, exist_ok=True)
    doc = {"groups": [{"name": name, "rules": rules}]}
    (out / "rules" / f"{name}-alerts.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def write_queries(out: Path, name: str, records: list[dict]) -> None:
    with (out / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for i, rec in enumerate(records, start=1):
            fh.write(json.dumps({"id": f"{name}-{rec['query_kind']}-{i:04d}", **rec}, ensure_ascii=False) + "\n")


def add_query(records: list[dict], seen: dict[tuple[str, str], dict], text: str, kind: str, expected: str,
              alert: str, source: str, **extra) -> None:
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return
    key = (kind, text.lower())
    if key in seen:  # identical text from several alerts: any of their runbooks counts
        rec = seen[key]
        if expected not in rec["expected"]:
            rec["expected"].append(expected)
            rec["ambiguous"] = True
        rec.setdefault("also_in", []).append(alert)
        return
    rec = {"query": text, "query_kind": kind, "expected": [expected], "alert": alert, "source": source, **extra}
    seen[key] = rec
    records.append(rec)


# ------------------------------------------------------------------------------------------------


def build_kubevirt(mirror: Path, out: Path) -> dict:
    mon = mirror / "kubevirt+monitoring/repo"
    rule_repos = {"kubevirt/kubevirt": mirror / "kubevirt+kubevirt/repo",
                  "kubevirt/hyperconverged-cluster-operator": mirror / "kubevirt+hyperconverged-cluster-operator/repo"}
    for p in files(mon, "docs"):
        if p.endswith(".md") and ("runbooks/" in p):
            export(mon, p, out / "runbooks" / p)
    runbooks = {Path(p).stem: p for p in files(mon, "docs/runbooks") if p.endswith(".md")}
    records: list[dict] = []
    seen: dict = {}
    alerts: dict[str, dict] = {}
    sources = [("kubevirt/monitoring", *head(mon), "runbooks", len(runbooks))]
    for repo, gitdir in rule_repos.items():
        test_files = [p for p in files(gitdir, "hack/prom-rule-ci") if p.endswith((".yaml", ".yml"))]
        sources.append((repo, *head(gitdir), "rules (promtool tests)", len(test_files)))
        for tf in test_files:
            doc = yaml.safe_load(git(gitdir, "show", f"HEAD:{tf}")) or {}
            for test in doc.get("tests") or []:
                for case in test.get("alert_rule_test") or []:
                    name = case.get("alertname")
                    for exp in case.get("exp_alerts") or []:
                        ann = exp.get("exp_annotations") or {}
                        url = str(ann.get("runbook_url") or "")
                        m = re.match(r"https://kubevirt\.io/monitoring/runbooks/([A-Za-z0-9_]+)", url)
                        if not name or not m:
                            continue
                        target = runbooks.get(m.group(1))
                        if target is None:
                            continue  # the URL names no runbook: not a retrieval question
                        alerts.setdefault(name, {"alert": name, "annotations": {}, "labels": {}})
                        a = alerts[name]
                        a["annotations"].setdefault("runbook_url", url)
                        for kind in ("summary", "description"):
                            if ann.get(kind):
                                a["annotations"].setdefault(kind, str(ann[kind]))
                                add_query(records, seen, str(ann[kind]), kind, target, name,
                                          f"{repo}:{tf} :: alert {name} :: exp_annotations.{kind}")
    rules = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
             "metadata": {"name": "kubevirt-alerts-from-rule-tests"},
             "spec": {"groups": [{"name": "kubevirt", "rules": [
                 {"alert": a["alert"], "expr": "vector(1)", "annotations": a["annotations"]} for a in alerts.values()]}]}}
    (out / "rules").mkdir(parents=True, exist_ok=True)
    (out / "rules" / "kubevirt-alerts.yaml").write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    for a in alerts.values():
        if a["alert"] in {Path(r["expected"][0]).stem for r in records}:
            add_query(records, seen, a["alert"], "alert_name", runbooks[Path(a["annotations"]["runbook_url"]).name],
                      a["alert"], "alert name")
    write_queries(out, "kubevirt", records)
    return {"sources": sources, "queries": len(records), "alerts": len(alerts), "runbooks": len(runbooks)}


def build_cnpg(mirror: Path, out: Path) -> dict:
    gd = mirror / "cloudnative-pg+charts/repo"
    docs = [p for p in files(gd, "charts/cluster/docs") if p.endswith(".md")]
    for p in docs:
        export(gd, p, out / "runbooks" / p)
    records: list[dict] = []
    seen: dict = {}
    rule_files = [p for p in files(gd, "charts/cluster/prometheus_rules") if p.endswith((".yaml", ".yml"))]
    rules = []
    for rf in rule_files:
        raw = git(gd, "show", f"HEAD:{rf}")
        name = re.search(r'\$alert\s*:=\s*"([^"]+)"', raw)
        body = "\n".join(line for line in raw.splitlines() if not line.lstrip().startswith("{{"))
        body = body.replace("{{ $alert }}", name.group(1) if name else "x")
        # quote values that begin with a template so YAML reads them as strings
        body = re.sub(r"^(\s*[\w]+: )(\{\{.*)$", r'\1"\2"', body, flags=re.M)
        rule = yaml.safe_load(body)
        ann = rule.get("annotations") or {}
        url = str(ann.get("runbook_url") or "")
        m = re.match(r"https://github\.com/cloudnative-pg/charts/blob/[^/]+/(.+\.md)$", url)
        if not m or m.group(1) not in docs:
            continue
        rendered = {}
        for kind in ("summary", "description"):
            if ann.get(kind):
                text, lossy = fill(str(ann[kind]))
                rendered[kind] = text
                add_query(records, seen, text, kind, m.group(1), rule["alert"], f"{rf} :: annotations.{kind}",
                          **({"render_lossy": True} if lossy else {}))
        rules.append({"alert": rule["alert"], "expr": "vector(1)",
                      "annotations": {k: str(v) for k, v in ann.items()}})
        add_query(records, seen, rule["alert"], "alert_name", m.group(1), rule["alert"], "alert name")
    write_rules(out, "cnpg", rules)
    write_queries(out, "cnpg", records)
    return {"sources": [("cloudnative-pg/charts", *head(gd), "runbooks + rules", len(docs) + len(rule_files))],
            "queries": len(records), "alerts": len(rules), "runbooks": len(docs)}


def build_srerun(mirror: Path, out: Path) -> dict:
    gd = mirror / "srerun+prometheus-alerts/repo"
    pages = [p for p in files(gd, "content") if p.endswith(".md")]
    for p in pages:
        export(gd, p, out / "runbooks" / p)
    by_url = {}  # Hugo's page path, lower-cased as Hugo publishes it -> file
    for p in pages:
        rel = p[len("content/"):-len(".md")]
        # an empty page (7 of them: the alert's page was created and never written) answers nothing
        if not rel.endswith("_index") and (out / "runbooks" / p).read_text(encoding="utf-8").strip():
            by_url[rel.lower()] = p
    records: list[dict] = []
    seen: dict = {}
    rule_files = [p for p in files(gd, "rules") if p.endswith((".yaml", ".yml"))]
    rules = []
    for rf in rule_files:
        doc = yaml.safe_load(git(gd, "show", f"HEAD:{rf}")) or {}
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                ann = rule.get("annotations") or {}
                url = str(ann.get("runbook") or ann.get("runbook_url") or "")
                m = re.match(r"https://srerun\.github\.io/prometheus-alerts/(runbooks/.+?)/?$", url)
                target = by_url.get(m.group(1).lower()) if m else None
                if not rule.get("alert") or target is None:
                    continue  # a URL that names no page, or an empty one: not a retrieval question
                for kind in ("summary", "description"):
                    if ann.get(kind):
                        text, lossy = fill(str(ann[kind]))
                        add_query(records, seen, text, kind, target, rule["alert"], f"{rf} :: annotations.{kind}",
                                  **({"render_lossy": True} if lossy else {}))
                rules.append({"alert": rule["alert"], "expr": "vector(1)",
                              "annotations": {**{k: str(v) for k, v in ann.items()}, "runbook_url": url}})
                add_query(records, seen, rule["alert"], "alert_name", target, rule["alert"], "alert name")
    write_rules(out, "srerun", rules)
    write_queries(out, "srerun", records)
    return {"sources": [("srerun/prometheus-alerts", *head(gd), "runbooks + rules", len(pages) + len(rule_files))],
            "queries": len(records), "alerts": len(rules), "runbooks": len(pages)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, default=Path("/work/data/ask"))
    ap.add_argument("--sets", default="kubevirt,cnpg,srerun")
    args = ap.parse_args()
    builders = {"kubevirt": build_kubevirt, "cnpg": build_cnpg, "srerun": build_srerun}
    for name, build in ((n, builders[n]) for n in args.sets.split(",") if n):
        dest = args.out / name
        if dest.exists():
            subprocess.run(["rm", "-rf", str(dest / "runbooks"), str(dest / "rules")], check=True)
        dest.mkdir(parents=True, exist_ok=True)
        info = build(args.mirror, dest)
        lines = [f"# `{name}` evaluation set for rbh eval", "",
                 "Built by `bench/build_ask_sets.py` (see its docstring for the method). Files under `runbooks/` are",
                 "verbatim copies (paths kept); `rules/` holds the alerts the queries came from; `queries.jsonl`",
                 "has the same fields as the OpenShift set's.", "",
                 f"{info['runbooks']} runbooks, {info['alerts']} alerts, {info['queries']} queries.", "",
                 "| repository | commit | date | role | files |", "|---|---|---|---|---|"]
        lines += [f"| github.com/{r} | `{sha}` | {d} | {role} | {n} |" for r, sha, d, role, n in info["sources"]]
        (dest / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{name}: {info['runbooks']} runbooks, {info['alerts']} alerts, {info['queries']} queries -> {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
