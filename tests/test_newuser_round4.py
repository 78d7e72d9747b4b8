"""Round 4 of the new-user trial (bench/README.md, plain runbook repositories): layouts that gave
false errors, each reduced to a minimal reproduction in a real temporary git repository.

- a Jekyll site: links written with Liquid (`{{site.baseurl}}/docs/page.html`, a variable
  `{{dashboard-link}}`), partials in `_includes/` and layouts;
- files for coding agents (`AGENTS.md`, `.claude/skills/...`) and page templates (`_templates/`) are
  not runbooks when rbh falls back to every markdown file.
"""

from __future__ import annotations


from ask_support import cli
from checks_support import commit_history
from newuser_support import check, found


JEKYLL_PAGE = """\
---
layout: default
title: Restart the ingest workers
---

# Restart the ingest workers

1. Check the [ingest dashboard]({{ingest-dashboard-link}}) and the [logs]({{ site.data[site.target].logs.url }}).
2. Follow [the bastion guide]({{site.baseurl}}/docs/bastion.html#login) to log in.
3. Read [the overview]({{ '/docs/overview.html' | relative_url }}).
4. Then [the deleted page]({{site.url}}{{site.baseurl}}/docs/gone.html) and [a lost step]({{site.baseurl}}/docs/bastion.html#logout).

{% include contacts.md %}
"""


def test_liquid_links_on_a_jekyll_site(tmp_path):
    root = tmp_path / "jekyll"
    commit_history(root, [{
        "_config.yml": "name: Ops\nmarkdown: kramdown\n",
        "index.md": "# Ops runbooks\n\n- [Ingest]({{site.baseurl}}/docs/ingest.html)\n",
        "docs/ingest.md": JEKYLL_PAGE,
        "docs/bastion.md": "# Bastion\n\n## Login\n\n`ssh bastion`\n",
        "docs/overview.md": "# Overview\n",
        "_includes/contacts.md": "Ask in [#ops]({{slack-ops-link}}) or see [the list](people.html).\n",
        "_layouts/default.html": "<html>{{ content }}</html>\n",
    }])
    report = check(root)
    # the base-URL links are checked as site-root paths (the deleted page is reported, as written);
    # variables only the site build knows are not links rbh can check; the partial is no page
    assert found(report) == [
        ("RBH301", "docs/ingest.md", 11, "link target `{{site.url}}{{site.baseurl}}/docs/gone.html` does not exist"),
        ("RBH302", "docs/ingest.md", 11, "anchor `#logout` not found in `docs/bastion.md`"),
    ]


def test_agent_instructions_and_page_templates_are_not_runbooks(tmp_path):
    root = tmp_path / "kb"
    commit_history(root, [{
        "AGENTS.md": "# Agents\n\nEdit [the index](docs/index.md).\n",
        "CLAUDE.md": "# Claude\n\nSee `scripts/missing.sh`.\n",
        ".claude/skills/import/SKILL.md": "# Import\n\nWrite `docs/reference/alerts.md`.\n",
        "_templates/RUNBOOK_TEMPLATE.md": "# <Component> runbook\n\n- [Concepts](./CONCEPT.md)\n",
        "postgres/RUNBOOK.md": "# Postgres runbook\n\n## Failover\n\n`kubectl cnpg promote pg-main 2`\n",
    }])
    report = check(root)
    assert found(report) == []
    code, out, err = cli(["check", "--repo", str(root)])
    assert code == 0 and "(1 runbook, 0 manifest files checked)" in out + err, out + err


def test_site_root_links_of_a_docusaurus_site_in_a_subfolder(tmp_path):
    root = tmp_path / "docusaurus"
    commit_history(root, [{
        "website/docusaurus.config.js": "module.exports = { title: 'Ops', baseUrl: '/' };\n",
        "website/blog/2025-01-01-welcome/index.md": "# Welcome\n",
        "website/static/img/flow.png": b"\x89PNG\r\n\x1a\n",
        "website/docs/intro.md": (
            "# Intro\n\n- [Blog](/blog)\n- [Runbooks](/docs/runbooks/overview)\n- ![flow](/img/flow.png)\n"
            "- [Gone](/docs/runbooks/deleted)\n"),
        "website/docs/runbooks/overview.md": "# Runbooks overview\n\n`kubectl rollout restart deploy/api`\n",
    }])
    assert found(check(root)) == [
        ("RBH301", "website/docs/intro.md", 6, "link target `/docs/runbooks/deleted` does not exist"),
    ]


def _workshop_page() -> str:
    """A hands-on course: responder-sounding parts (Setup, Deploy, Failover, Backup), each of many
    tasks, 600+ lines in all."""
    parts = ["Setup", "Deploy the Cluster", "Scale", "Failover & Recovery", "Backup & Restore", "Monitoring"]
    out = ["# Postgres Workshop: Hands-On Lab", "", "## Overview", "", "Build a cluster and break it.", ""]
    for p, part in enumerate(parts, start=1):
        out += [f"## Part {p}: {part}", ""]
        for t in range(1, 9):
            what = "Simulate Primary Failure" if (part.startswith("Failover") and t == 1) else f"Exercise {p}.{t}"
            cmd = ("kubectl delete pod pg-main-1 -n databases  # the operator promotes a replica"
                   if what.startswith("Simulate") else f"kubectl get pods -n lab{p}{t}")
            out += [f"### Task {p}.{t}: {what}", "", "```bash", cmd, "", "# Expected output:",
                    "# NAME READY STATUS", "# pod 1/1 Running", "```", ""]
    out += ["## Troubleshooting Common Issues", "", "Ask in #db-help.", "", "## Next Steps", "", "Read the concepts page.", ""]
    return "\n".join(out) + "\n"


def test_a_long_course_page_is_answered_by_its_best_section_not_shown_whole(tmp_path):
    """A 600-line workshop whose parts sound like a procedure (Setup, Failover & Recovery ...) was shown
    whole, from its Overview, for a question its Task 4.1 answers; the answer is that task."""
    from ask_support import ask_json, index

    root = tmp_path / "course"
    page = _workshop_page()
    assert page.count("\n") > 450
    commit_history(root, [{
        "postgres/WORKSHOP.md": page,
        "redis/RUNBOOK.md": "# Redis runbook\n\n## Flush the cache\n\n`redis-cli FLUSHALL`\n",
    }])
    index(root)
    r = ask_json(root, "simulate primary failure of the postgres cluster", "--top-k", "1")["results"][0]
    assert (r["path"], r["anchor"]) == ("postgres/WORKSHOP.md", "task-41-simulate-primary-failure")
    assert r["procedure"] is None
    code, out, err = cli(["ask", "--repo", str(root), "simulate primary failure of the postgres cluster", "--top-k", "1"])
    assert code == 0, err
    assert "kubectl delete pod pg-main-1" in out and "Build a cluster and break it." not in out
    assert len(out.splitlines()) < 40


def test_a_page_template_does_not_win_on_its_title(tmp_path):
    """`PD Alert Template` ("This is a sample template for what a PD alert should look like.") was the
    one-line answer to "who do I escalate to for a pagerduty alert": its title's words matched.
    A template's title counts only for a question about templates."""
    from ask_support import ask_json, index

    root = tmp_path / "tmpl"
    commit_history(root, [{
        "docs/doc_updates/pd_template.md": (
            "---\ntitle: PD Alert Template\n---\n\nThis is a sample template for what a PD alert should look like.\n\n"
            "# PD Description\n\nThe description should name the environment and the service.\n"),
        "docs/ops/onduty.md": (
            "# On Duty\n\n## Acknowledge the page\n\nAcknowledge within 30 minutes.\n\n"
            "## Escalation\n\nIf a PagerDuty event is not acknowledged it escalates to the nursery phone, "
            "who calls the person on duty and then the rest of the rota.\n"),
    }])
    index(root)
    r = ask_json(root, "who do I escalate to for a pagerduty alert", "--top-k", "1")["results"][0]
    assert (r["path"], r["anchor"]) == ("docs/ops/onduty.md", "escalation")
    r = ask_json(root, "what does the PD alert template look like", "--top-k", "1")["results"][0]
    assert r["path"] == "docs/doc_updates/pd_template.md"


INDEX_PAGE = """\
# Operations Runbooks

## Overview

Operational runbooks for the optimizer: procedures for incidents and maintenance.

## Runbook Categories

### Incident Response
- [**Service Unavailable**](incident-response.md#service-unavailable) - Application becomes unresponsive
- [**Memory Leaks**](incident-response.md#memory-leaks) - Memory grows over time

### Maintenance Procedures
- [**Certificate Renewal**](maintenance.md#certificate-renewal) - TLS certificate management

## Runbook Structure

Each runbook has an overview, detection, response and resolution.

## Usage Guidelines

### Before Using Runbooks
1. Read the whole runbook first.
2. Tell the incident channel.
"""

NO_LEADER = """\
# EtcdNoLeader

## Meaning

The etcd cluster has no leader.

## Diagnosis

### Control plane nodes

`oc get nodes -l node-role.kubernetes.io/master`

## Mitigation

### Restore quorum

Follow the disaster recovery procedure to restore etcd quorum.
"""


def test_headings_with_only_subsections_count_as_parts_of_the_page(tmp_path):
    """A heading whose body is only subsections has no chunk; it was left out when telling a one-topic
    page from a collection. An index of runbooks (`## Runbook Categories`, `## Usage Guidelines`) was shown
    whole (180 lines) for "service is unavailable"; an alert page whose `## Diagnosis` and
    `## Mitigation` hold only `###` steps was not shown as its procedure."""
    from ask_support import ask_json, index

    root = tmp_path / "parts"
    commit_history(root, [{"docs/runbooks/README.md": INDEX_PAGE, "docs/alerts/etcd-no-leader.md": NO_LEADER}])
    index(root)
    r = ask_json(root, "service is unavailable how do I recover", "--top-k", "1")["results"][0]
    assert (r["path"], r["anchor"], r["procedure"]) == ("docs/runbooks/README.md", "incident-response", None)
    r = ask_json(root, "etcd has no leader", "--top-k", "1")["results"][0]
    assert r["path"] == "docs/alerts/etcd-no-leader.md"
    assert [s["heading"] for s in r["procedure"]] == ["Meaning", "Control plane nodes", "Restore quorum"]


def test_page_url_without_trailing_slash_on_an_mkdocs_site(tmp_path):
    """MkDocs serves `docs/python/fastapi/fastapi.md` at `python/fastapi/fastapi/`, where the browser
    resolves `../../../devops/ssl/keys` to the page of `docs/devops/ssl/keys.md`. Without a site
    generator that serves folder URLs the same link is broken (GitHub resolves it from the file)."""
    page = "# FastAPI\n\n- [enable https](../../../devops/ssl/keys)\n- [gone](../../../devops/ssl/gone)\n"
    files = {"docs/python/fastapi/fastapi.md": page, "docs/devops/ssl/keys.md": "# Keys\n\n`openssl genrsa 2048`\n"}
    site = tmp_path / "site"
    commit_history(site, [{"mkdocs.yml": "site_name: Runbooks\n", **files}])
    assert found(check(site)) == [
        ("RBH301", "docs/python/fastapi/fastapi.md", 4, "link target `../../../devops/ssl/gone` does not exist"),
    ]
    plain = tmp_path / "plain"
    commit_history(plain, [files])
    assert [f[3] for f in found(check(plain))] == [
        "link target `../../../devops/ssl/keys` does not exist", "link target `../../../devops/ssl/gone` does not exist"]


def test_web_address_without_scheme_is_named_as_such(tmp_path):
    """`[#ops](acme.slack.com)` is a relative link on the built site and on GitHub (a true error); the
    finding says why and suggests the URL the author meant."""
    root = tmp_path / "scheme"
    commit_history(root, [{"runbooks/chat.md": "# Chat\n\nAsk in [#ops](acme.slack.com) or [docs](www.example.org/guide#top).\n"}])
    report = check(root)
    assert [(f["rule"], f["line"], f["message"], f.get("suggestion")) for f in report["findings"]] == [
        ("RBH301", 3, "link target `acme.slack.com` does not exist: without `https://` a web address is a relative link",
         "https://acme.slack.com"),
        ("RBH301", 3, "link target `www.example.org/guide` does not exist: without `https://` a web address is a relative link",
         "https://www.example.org/guide#top"),
    ]


def test_a_document_named_in_capitals_is_not_an_alert_page(tmp_path):
    """`SDLC_IMPLEMENTATION_SUMMARY.md` titled "SDLC Implementation Summary" was read as a page for an
    alert `SDLCImplementationSummary` (RBH204); `kube-job-completion.md` titled `KubeJobCompletion`
    still is one."""
    root = tmp_path / "caps"
    rules = ("groups:\n- name: app\n  rules:\n  - alert: AppDown\n    expr: up == 0\n"
             "    annotations:\n      runbook_url: https://example.org/docs/app-down.md\n")
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["monitoring/*.yml"]\n',
        "monitoring/alerts.yml": rules,
        "docs/app-down.md": "# AppDown\n\n## Mitigation\n\n`docker compose restart app`\n",
        "docs/SDLC_IMPLEMENTATION_SUMMARY.md": "# SDLC Implementation Summary\n\nWhat the pipeline does.\n",
        "docs/kube-job-completion.md": "# KubeJobCompletion\n\n## Mitigation\n\nDelete the job.\n",
    }])
    assert [(f["rule"], f["path"]) for f in check(root)["findings"] if f["rule"] == "RBH204"] == [
        ("RBH204", "docs/kube-job-completion.md")]
