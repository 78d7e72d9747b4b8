"""Round 4 of the new-user trial (bench/README.md): projects that ship Prometheus alert rules with
runbook links and the runbooks they link to, each false error reduced to a minimal reproduction in
a real temporary git repository.

- a project whose Hugo docs site sits in a subfolder (``operator/website/``): its archetypes are
  templates at any depth, not runbooks (RBH001 on their Go template front matter was false), and a
  monorepo's ``operator/CONTRIBUTING.md`` is no runbook either;
- a doc page beside alert pages (``object_storage.md``, "Object Storage") is not named after an alert;
- a Middleman site's links: ``/page.html`` from the site root, ``page`` without an extension, and
  ``####Title`` headings (Redcarpet reads them; so does MkDocs);
- ``rbh ask ALERT`` whose runbook_url anchor is a heading with only subsections.
"""

from __future__ import annotations


from checks_support import commit_history
from newuser_support import check, found


def test_nested_hugo_site_archetypes_and_themes_and_meta_files_are_not_runbooks(tmp_path):
    root = tmp_path / "operator"
    commit_history(root, [{
        "operator/website/config.toml": 'baseURL = "https://operator.example.org/"\n',
        "operator/website/archetypes/default.md": '---\ntitle: "{{ replace .Name "-" " " | title }}"\ndate: {{ .Date }}\n---\n',
        "operator/website/themes/doks/README.md": "# Theme\n\n[broken](nowhere.md)\n",
        "operator/CONTRIBUTING.md": "# Contributing\n\n[license](../../../LICENSE)\n",
        "operator/docs/CHANGELOG.md": "# Changes\n\n[old](gone.md)\n",
        "operator/docs/sop.md": "# SOP\n\n## Loki Request Errors\n\n[back](#sop)\n",
    }])
    report = check(root)
    assert found(report) == []
    assert report["summary"]["runbooks_checked"] == 1


ALERTS = """\
groups:
- name: loki
  rules:
  - alert: LokiRequestErrors
    expr: sum(rate(loki_request_duration_seconds_count{status_code=~"5.."}[1m])) > 10
    labels: {severity: critical}
    annotations:
      runbook_url: https://github.com/example/loki/blob/main/docs/lokistack/sop.md#loki-request-errors
"""


def test_doc_pages_beside_alert_pages_are_not_named_after_alerts(tmp_path):
    """A kebab or snake file name with a title of plain words is a doc page, even in the folder an
    alert's runbook_url links into: no RBH204 'named after alert `ObjectStorage`'."""
    root = tmp_path / "alerts"
    commit_history(root, [{
        "rules/alerts.yaml": ALERTS,
        "docs/lokistack/sop.md": "# SOP\n\n## Loki Request Errors\n\nCheck the ingesters.\n",
        "docs/lokistack/object_storage.md": '---\ntitle: "Object Storage"\n---\n\nSet up the bucket.\n',
        "docs/lokistack/troubleshooting-guide.md": "# Troubleshooting Guide\n\nGather versions.\n",
        "rbh.yaml": "runbooks: {include: ['docs/**/*.md']}\nmanifests: {include: ['rules/*.yaml']}\n"
                    "check: {runbook_urls: {prefixes: {'https://github.com/example/loki/blob/main/': ''}}}\n",
    }])
    assert found(check(root)) == []


def test_site_root_link_to_a_middleman_page_in_the_runbook_folder(tmp_path):
    """`/recycle-all-nodes.html` on a site built from `source/` names `source/recycle-all-nodes.html.md.erb`
    (the runbook folder is the site's root); a root link to a page that no file provides is still broken."""
    root = tmp_path / "mm"
    commit_history(root, [{
        "source/recycle-all-nodes.html.md.erb": "---\ntitle: Recycle all nodes\n---\n# Recycle\n\n## Drain\n\ntext\n",
        "source/upgrade.html.md.erb": "# Upgrade\n\nThen [recycle the nodes](/recycle-all-nodes.html) and "
                                      "[drain](/recycle-all-nodes.html#drain), not [this](/gone.html).\n",
        "rbh.yaml": "runbooks: {include: ['source/**/*.html.md.erb']}\n",
    }])
    assert found(check(root)) == [("RBH301", "source/upgrade.html.md.erb", 3, "link target `/gone.html` does not exist")]


TIGHT = "# Monitor\n\n####Sorting for nodes\n\ntext\n\n## Pods\n\nSee [Sorting for nodes](#sorting-for-nodes) and [gone](#nowhere).\n"


def test_tight_atx_heading_has_an_anchor_where_the_site_renderer_reads_it(tmp_path):
    """`####Title` (no space) is a heading for Redcarpet/kramdown (Middleman) and Python-Markdown
    (MkDocs), not for CommonMark: its anchor counts on such sites, and only there."""
    root = tmp_path / "tight"
    commit_history(root, [{
        "source/monitor.html.md.erb": TIGHT,
        "docs/monitor.md": TIGHT,
        "rbh.yaml": "runbooks: {include: ['source/**/*.html.md.erb', 'docs/**/*.md']}\n",
    }])
    assert found(check(root)) == [
        ("RBH302", "docs/monitor.md", 9, "anchor `#sorting-for-nodes` not found in `docs/monitor.md`"),
        ("RBH302", "docs/monitor.md", 9, "anchor `#nowhere` not found in `docs/monitor.md`"),
        ("RBH302", "source/monitor.html.md.erb", 9, "anchor `#nowhere` not found in `source/monitor.html.md.erb`"),
    ]
    mk = tmp_path / "mk"
    commit_history(mk, [{"mkdocs.yml": "site_name: t\n", "docs/monitor.md": TIGHT}])
    assert [f[3] for f in found(check(mk))] == ["anchor `#nowhere` not found in `docs/monitor.md`"]


def test_extensionless_link_to_a_middleman_page(tmp_path):
    """`connecting` next to `connecting.html.md.erb` is the page the host serves as `connecting.html`."""
    root = tmp_path / "mm2"
    commit_history(root, [{
        "source/cp30/connecting.html.md.erb": "# Connecting\n",
        "source/cp30/access.html.md.erb": "# Access\n\nFirst [connect](connecting), then [log in](login).\n",
        "rbh.yaml": "runbooks: {include: ['source/**/*.html.md.erb']}\n",
    }])
    assert [f[3] for f in found(check(root))] == ["link target `login` does not exist"]


SOP = """\
# Standard Operational Procedures

## Loki Request Errors

### Impact

Requests fail for the tenants of the stack.

### Steps

Check the distributor logs.

## LokiStack Read Request Errors

### Impact

Queries fail at the gateway.

### Summary

At least 10% of requests are responded by 5xx server errors at the gateway (LokiRequestErrors).
"""

SOP_ALERTS = """\
groups:
- name: loki
  rules:
  - alert: LokiRequestErrors
    expr: sum(rate(loki_request_duration_seconds_count{status_code=~"5.."}[1m])) > 10
    annotations:
      summary: At least 10% of requests are responded by 5xx server errors.
      runbook_url: https://github.com/example/loki/blob/main/docs/sop.md#Loki-Request-Errors
"""


def test_alert_anchor_on_a_heading_with_only_subsections_answers_its_own_section(tmp_path):
    """`## Loki Request Errors` has no text before `### Impact`, so no chunk of its own: `rbh ask
    LokiRequestErrors` answers with that heading's subsections (its procedure, cited from its first
    line of text), not a sibling alert's best-matching one."""
    from ask_support import ask_json, index

    root = tmp_path / "sop"
    commit_history(root, [{
        "docs/sop.md": SOP,
        "rules/alerts.yaml": SOP_ALERTS,
        "rbh.yaml": "runbooks: {include: ['docs/**/*.md']}\nmanifests: {include: ['rules/*.yaml']}\n"
                    "check: {runbook_urls: {prefixes: {'https://github.com/example/loki/blob/main/': ''}}}\n",
    }])
    index(root)
    first = ask_json(root, "LokiRequestErrors")["results"][0]
    assert (first["via"], first["heading_path"], first["anchor"], first["line"]) == (
        "alert", ["Standard Operational Procedures", "Loki Request Errors"], "loki-request-errors", 5)
    assert [s["heading"] for s in first["procedure"]] == ["Impact", "Steps"]


def test_runbook_url_anchor_written_as_the_heading_text_suggests_the_heading_anchor(tmp_path):
    """`#NginxIngress-Latency(ms)---warning` copies the heading's text, which is no anchor on GitHub
    (`nginxingress-latencyms---warning`): the error stays, with the anchor to write instead."""
    root = tmp_path / "readme"
    commit_history(root, [{
        "resources/alerts/README.md": "# Custom Alarms\n\n## NginxIngress-Latency(ms)---warning\n\n### Action\n\nScale.\n\n"
                                      "## Memory-High\n\n### Action\n\nCheck.\n",
        "resources/alerts/nginx.yaml": "groups:\n- name: n\n  rules:\n  - alert: NginxLatencyHigh\n    expr: x > 1\n"
                                       "    annotations:\n      runbook_url: https://github.com/example/mon/blob/main/"
                                       "resources/alerts/README.md#NginxIngress-Latency(ms)---warning\n",
        "rbh.yaml": "runbooks: {include: ['resources/**/*.md']}\nmanifests: {include: ['resources/**/*.yaml']}\n"
                    "check: {runbook_urls: {prefixes: {'https://github.com/example/mon/blob/main/': ''}}}\n",
    }])
    (f,) = check(root)["findings"]
    assert (f["rule"], f["suggestion"]) == ("RBH203", "nginxingress-latencyms---warning")


def test_inline_link_to_a_reference_label_suggests_the_reference_link(tmp_path):
    """`[Loki Labels](loki-labels)` with `[loki-labels]: https://...` on the page: still a broken link
    (GitHub and every site resolve it as a relative file), with the reference link as the fix."""
    root = tmp_path / "refs"
    commit_history(root, [{
        "docs/otel.md": "# OTel\n\nSee [Loki Labels](loki-labels) and [gone](nowhere).\n\n"
                        "[loki-labels]: https://grafana.com/docs/loki/latest/get-started/labels/\n",
    }])
    assert [(f["message"], f["suggestion"]) for f in check(root)["findings"]] == [
        ("link target `loki-labels` does not exist", "[...][loki-labels]"),
        ("link target `nowhere` does not exist", None),
    ]


def test_astro_starlight_site_mdx_pages_public_files_and_runbook_urls(tmp_path):
    """An MDX docs site (Astro Starlight) under `docs/src/content/docs/`: `/sdks/admin/` names
    `sdks/admin.mdx`, `/schemas/a.json` a file of `docs/public/`, and a runbook_url
    `https://docs.example.run/operations/alerts/#anchor` the `operations/alerts.mdx` section; broken
    ones are still reported (anchors in `.mdx` pages are checked too)."""
    root = tmp_path / "astro"
    content = "docs/src/content/docs"
    commit_history(root, [{
        f"{content}/sdks/admin.mdx": "---\ntitle: Admin SDK\n---\nimport { Aside } from '@astrojs/starlight/components';\n\n## Install\n\ntext\n",
        f"{content}/operations/alerts.mdx": "---\ntitle: Alerts\n---\n\n## CaracalAuditDLQNonEmpty\n\nDrain the DLQ.\n",
        f"{content}/guides/setup.mdx": "---\ntitle: Setup\n---\n\nUse the [admin SDK](/sdks/admin/#install), the "
                                        "[schema](/schemas/a.json), not [this](/sdks/gone/) nor [that](/sdks/admin/#nope).\n",
        "docs/public/schemas/a.json": "{}\n",
        "rules/alerts.yaml": "groups:\n- name: c\n  rules:\n  - alert: CaracalAuditDLQNonEmpty\n    expr: x > 0\n"
                             "    annotations:\n      runbook_url: https://docs.example.run/operations/alerts/#caracalauditdlqnonempty\n"
                             "  - alert: CaracalGone\n    expr: y > 0\n"
                             "    annotations:\n      runbook_url: https://docs.example.run/operations/gone/\n",
        "rbh.yaml": f"runbooks: {{include: ['{content}/**/*.mdx']}}\nmanifests: {{include: ['rules/*.yaml']}}\n"
                    f"check: {{runbook_urls: {{prefixes: {{'https://docs.example.run/': '{content}/'}}}}}}\n",
    }])
    assert sorted((f[0], f[3].split(",")[0]) for f in found(check(root))) == [
        ("RBH203", f"runbook_url of alert `CaracalGone` points to `{content}/operations/gone.md`"),
        ("RBH301", "link target `/sdks/gone/` does not exist"),
        ("RBH302", f"anchor `#nope` not found in `{content}/sdks/admin.mdx`"),
    ]


def test_a_repository_with_no_manifests_configured_is_told_what_was_not_checked(tmp_path):
    """Without rbh.yaml and a manifests/ folder rbh check cannot compare runbooks with alert rules or
    workloads; it says so once, naming files that look like manifests (rules first, Helm templates
    left out) and the globs to configure, instead of a silent '0 manifest files checked'."""
    root = tmp_path / "svc"
    commit_history(root, [{
        "runbooks/api-down.md": "# API down\n\nRestart it: `kubectl -n shop rollout restart deployment/api`\n",
        "deploy/app.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n",
        "monitoring/rules/api.yml": "groups:\n- name: api\n  rules:\n  - alert: ApiDown\n    expr: up == 0\n",
        "chart/templates/rules.yaml": "groups:\n- rules:\n  - alert: {{ .Values.name }}\n    expr: up == 0\n",
    }])
    report = check(root)
    assert report["notices"] == [
        "no manifests configured (and no manifests/ folder): runbooks were checked for links, anchors and "
        "reviews only, not against alert rules or workloads; files that look like manifests: "
        "monitoring/rules/api.yml, deploy/app.yaml; to check against them, set manifests.include in rbh.yaml, "
        "e.g. [deploy/**/*.y*ml, monitoring/rules/**/*.y*ml]"]
    (root / "rbh.yaml").write_text("manifests:\n  include: ['deploy/**/*.yaml', 'monitoring/**/*.yml']\n")
    report = check(root)
    assert report["notices"] == [] and report["summary"]["manifest_files"] == 2
