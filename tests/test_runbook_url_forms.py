"""A ``runbook_url`` whose base is a template variable, or a repository path, still names its runbook.

Operators that ship their alert rules through Helm write the runbook base as a Go template with the
other delimiters, so Helm leaves it alone (the Loki operator: ``[[ .RunbookURL ]]#Loki-Request-Errors``).
rbh skipped such URLs silently: ``rbh ask LokiRequestErrors`` did not follow the alert to its SOP
section. The literal rest names the runbook: an anchor by the one runbook that has it, a path by the
one runbook file it ends in. ``rbh check`` does not report such a URL (its base may point anywhere)
unless the other anchors of the same base settle the page (new-user round 13).
"""

from __future__ import annotations

from ask_support import ask_json, index
from checks_support import commit_history
from newuser_support import check, found
from rbh.runbook_urls import RunbookUrlResolver

SOP = """\
# Standard Operational Procedures

The following page describes the procedures for the operator's alerts.

## Loki Request Errors

### Impact

A service is unable to perform its duties for a number of requests.

### Summary

A service is failing to process at least 10% of all incoming requests.

### Steps

- Check the logs of the service that is emitting the server error (5XX).
- Ensure that the ingesters can reach the object storage.

## LokiStack Write Request Errors

### Impact

The gateway cannot take write requests.

### Steps

- Check the gateway logs.
"""

RULES = """\
groups:
- name: loki_alerts
  rules:
  - alert: LokiRequestErrors
    expr: sum(rate(loki_request_duration_seconds_count{status_code=~"5.."}[1m])) > 10
    labels: {severity: critical}
    annotations:
      summary: At least 10% of requests are responded by 5xx server errors.
      runbook_url: "[[ .RunbookURL ]]#Loki-Request-Errors"
  - alert: LokiStackWriteRequestErrors
    expr: sum(rate(http_requests_total{code=~"5.."}[1m])) > 10
    labels: {severity: critical}
    annotations:
      runbook_url: "[[ .RunbookURL ]]#LokiStack-Write-Request-Errors"
  - alert: LokiDiskFull
    expr: kubelet_volume_stats_available_bytes < 1
    labels: {severity: warning}
    annotations:
      runbook_url: "[[ .RunbookBase ]]/runbooks/disk-full"
  - alert: LokiGone
    expr: up == 0
    labels: {severity: warning}
    annotations:
      runbook_url: "[[ .RunbookURL ]]#No-Such-Section"
"""


def _repo(tmp_path):
    root = tmp_path / "loki"
    commit_history(root, [{
        "docs/lokistack/sop.md": SOP,
        "docs/runbooks/disk-full.md": "# Disk full\n\n## Steps\n\nExpand the volume.\n",
        "alerts/prometheus-alerts.yaml": RULES,
        "rbh.yaml": "runbooks: {include: ['docs/**/*.md']}\nmanifests: {include: ['alerts/*.yaml']}\n",
    }])
    return root


def test_an_anchor_after_a_templated_base_leads_ask_to_the_whole_section(tmp_path):
    root = _repo(tmp_path)
    index(root)
    first = ask_json(root, "LokiRequestErrors")["results"][0]
    assert (first["path"], first["anchor"], first["heading"]) == ("docs/lokistack/sop.md", "loki-request-errors", "Loki Request Errors")
    assert first["alert"]["via"] == "runbook_url" and first["url"] is None  # a template is no link to cite
    # the heading has no text of its own: its subsections are the procedure, and only its own
    assert [s["heading"] for s in first["procedure"]] == ["Impact", "Summary", "Steps"]
    assert "Ensure that the ingesters can reach the object storage." in first["procedure"][2]["text"]
    other = ask_json(root, "LokiStackWriteRequestErrors")["results"][0]
    assert (other["anchor"], [s["heading"] for s in other["procedure"]]) == ("lokistack-write-request-errors", ["Impact", "Steps"])
    disk = ask_json(root, "LokiDiskFull")["results"][0]
    assert (disk["path"], disk["alert"]["via"]) == ("docs/runbooks/disk-full.md", "runbook_url")
    # an anchor no runbook has resolves nowhere: the alert is answered from its text, not from a guess
    gone = ask_json(root, "LokiGone")
    assert all(r.get("alert") is None or r["alert"]["via"] != "runbook_url" for r in gone["results"])


def test_check_reports_a_templated_base_only_where_its_other_anchors_settle_the_page(tmp_path):
    """Two anchors of `[[ .RunbookURL ]]` are headings of the SOP page: the base is that page, so the
    third anchor, which it lacks, is broken. `[[ .RunbookBase ]]/runbooks/disk-full` is alone."""
    assert found(check(_repo(tmp_path))) == [
        ("RBH203", "alerts/prometheus-alerts.yaml", 24, "runbook_url of alert `LokiGone` points to anchor "
         "`#No-Such-Section`, which `docs/lokistack/sop.md` does not have (its template base leads there: the 2 "
         "other anchors of that base found in the runbooks are all headings of that page)"),
    ]


def test_the_literal_rest_of_a_templated_url_resolves_only_when_one_runbook_fits():
    files = ["docs/runbooks/disk-full.md", "docs/other/disk-full.md", "docs/runbooks/AlertmanagerFailedReload.md"]
    resolver = RunbookUrlResolver({}, files, case_insensitive=True)
    tail = resolver.resolve("{{ .Values.runbookBase }}/runbooks/alertmanagerfailedreload")
    assert (tail.found, tail.managed, tail.templated) == ("docs/runbooks/AlertmanagerFailedReload.md", False, True)
    assert resolver.resolve("[[ .Base ]]/runbooks/disk-full").found == "docs/runbooks/disk-full.md"  # the longer tail decides
    both = resolver.resolve("[[ .Base ]]/disk-full")
    assert (both.found, both.candidates) == (None, ["docs/runbooks/disk-full.md", "docs/other/disk-full.md"])
    anchor_only = resolver.resolve("[[ .RunbookURL ]]#Loki-Request-Errors")
    assert (anchor_only.found, anchor_only.candidates, anchor_only.anchor) == (None, [], "Loki-Request-Errors")
    # a template with a literal URL inside stays what it was: wildcards in a URL
    assert resolver.resolve("{{ if .X }}https://a.example/x{{ end }}").templated


def test_a_repository_path_annotation_resolves_when_site_url_is_set(tmp_path):
    """`runbook: docs/patroni/alerts.md#lag` names a file of this repository. With `site.url` set
    (which a new user does for links) the path matched no site prefix and was skipped silently: a
    missing runbook went unreported and `rbh ask` did not follow the alert."""
    root = tmp_path / "paths"
    commit_history(root, [{
        "docs/patroni/alerts.md": "# Patroni alerts\n\n## Lag\n\nCheck the replica's WAL receiver.\n\n## Failover\n\nRun the failover.\n",
        "docs/patroni/README.md": "# Patroni\n\nThe service.\n",
        "rules/patroni.yml": ("groups:\n- name: patroni\n  rules:\n"
                              "  - alert: PatroniReplicaLag\n    expr: pg_replication_lag > 60\n"
                              "    annotations:\n      runbook: docs/patroni/alerts.md#lag\n"
                              "  - alert: PatroniDown\n    expr: up == 0\n"
                              "    annotations:\n      runbook: docs/patroni/down.md\n"),
        "rbh.yaml": "site: {url: 'https://runbooks.example.com/'}\nrunbooks: {include: ['docs/**/*.md']}\n"
                    "manifests: {include: ['rules/*.yml']}\n",
    }])
    assert [(f[0], f[3]) for f in found(check(root))] == [
        ("RBH203", "runbook_url of alert `PatroniDown` points to `docs/patroni/down.md`, which does not exist; create it with `rbh new PatroniDown`")]
    index(root)
    lag = ask_json(root, "PatroniReplicaLag")["results"][0]
    assert (lag["path"], lag["anchor"], lag["alert"]["via"]) == ("docs/patroni/alerts.md", "lag", "runbook_url")
