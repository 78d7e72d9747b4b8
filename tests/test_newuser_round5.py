"""Round 5 of the new-user trial (bench/README.md): a Middleman tech-docs site whose alert rules live
in another repository (GOV.UK developer docs), an MkDocs site (PagerDuty incident response) and a
monitoring mixin, each false error reduced to a minimal reproduction in a real temporary git
repository:

- a link to the site's home page ``/`` does not leave the repository;
- Middleman builds ``/apps.json`` from ``source/apps.json.erb`` as it builds pages from ``.html.md.erb``;
- an MkDocs site serves its ``docs_dir`` at ``/``: ``/before/roles/`` is ``docs/before/roles.md``.
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found

MIDDLEMAN = "runbooks: {include: ['source/**/*.html.md', 'source/**/*.html.md.erb']}\n"


def test_link_to_the_site_home_page_does_not_leave_the_repository(tmp_path):
    root = tmp_path / "docs"
    commit_history(root, [{
        "config.rb": 'require "govuk_tech_docs"\n',
        "source/index.html.erb": "<h1>Developer docs</h1>\n",
        "source/manual/assets.html.md": "# Assets\n\nBack to [the developer docs](/), not [here](../../../x.html).\n",
        "rbh.yaml": MIDDLEMAN,
    }])
    assert found(check(root)) == [("RBH301", "source/manual/assets.html.md", 3, "link target `../../../x.html` points outside the repository")]


def test_middleman_data_files_are_built_from_erb_templates(tmp_path):
    """`/apps.json` and `document-types.csv` are built from `source/apps.json.erb` and
    `source/document-types.csv.erb`; a data file that no template provides is still broken."""
    root = tmp_path / "docs"
    commit_history(root, [{
        "config.rb": 'require "govuk_tech_docs"\n',
        "source/apps.json.erb": "<%= JSON.pretty_generate(apps) %>\n",
        "source/document-types.csv.erb": "<%= csv %>\n",
        "source/apps.html.md.erb": "# Apps\n\nAs [JSON](/apps.json) or [CSV](/apps.csv).\n",
        "source/document-types.html.md": "# Document types\n\n[Download as CSV](document-types.csv)\n",
        "rbh.yaml": MIDDLEMAN,
    }])
    assert found(check(root)) == [("RBH301", "source/apps.html.md.erb", 3, "link target `/apps.csv` does not exist")]


def test_mkdocs_site_root_links_name_pages_of_docs_dir(tmp_path):
    """PagerDuty's incident response docs link `/before/different_roles/` and
    `/training/incident_commander/`: MkDocs serves `docs/` at the site root. A custom `docs_dir`
    counts, and a root link to no page is still broken."""
    root = tmp_path / "ir"
    commit_history(root, [{
        "mkdocs.yml": "site_name: Incident Response\ntheme:\n  name: pagerduty\n",
        "docs/before/different_roles.md": "# Different roles\n\n## Deputy\n\ntext\n",
        "docs/resources/anti_patterns.md": "# Anti-patterns\n\nSee [the roles](/before/different_roles/), "
                                           "[the deputy](/before/different_roles/#deputy) and [gone](/after/gone/).\n",
    }])
    assert found(check(root)) == [("RBH301", "docs/resources/anti_patterns.md", 3, "link target `/after/gone/` does not exist")]

    other = tmp_path / "site"
    commit_history(other, [{
        "mkdocs.yml": "site_name: Ops\ndocs_dir: pages  # the sources\n",
        "pages/oncall.md": "# On-call\n\n[Escalation](/escalation/)\n",
        "pages/escalation.md": "# Escalation\n\ntext\n",
    }])
    assert found(check(other)) == []


TECH_DOCS = """\
host: https://docs.example.gov.uk
redirects:
  /manual/error-reporting.html: /manual/sentry.html
  /apis/search/search-api.html: /apps/search-api.html
  /apps/search-api.html: /repos/search-api.html
  /manual/old-gone.html: /manual/also-gone.html
"""


def test_links_to_urls_the_site_redirects_reach_the_new_page(tmp_path):
    """GOV.UK's tech-docs site declares `redirects:` in config/tech-docs.yml; `/manual/error-reporting.html`
    is served as a redirect to `/manual/sentry.html`, so the link works. A redirect to a page that no
    file provides is still broken."""
    root = tmp_path / "docs"
    commit_history(root, [{
        "config.rb": 'require "govuk_tech_docs"\n',
        "config/tech-docs.yml": TECH_DOCS,
        "source/manual/sentry.html.md": "# Sentry\n\ntext\n",
        "source/manual/errors.html.md": "# Errors\n\n[report exceptions](/manual/error-reporting.html), "
                                        "[old](/manual/old-gone.html), [relative](error-reporting.html)\n",
        "rbh.yaml": MIDDLEMAN,
    }])
    assert found(check(root)) == [("RBH301", "source/manual/errors.html.md", 3, "link target `/manual/old-gone.html` does not exist")]


def test_mkdocs_redirect_maps_count(tmp_path):
    root = tmp_path / "mk"
    commit_history(root, [{
        "mkdocs.yml": "site_name: Ops\nplugins:\n  - search\n  - redirects:\n      redirect_maps:\n"
                      "        'old/page.md': 'new/page.md'\n        'gone.md': 'https://example.org/'\n",
        "docs/new/page.md": "# Page\n\ntext\n",
        "docs/index.md": "# Home\n\n[old](old/page.md), [gone](gone.md), [missing](missing.md)\n",
    }])
    assert found(check(root)) == [("RBH301", "docs/index.md", 3, "link target `missing.md` does not exist")]


PROXY_PAGES = '''\
class ProxyPages
  def self.repo_overviews
    Repos.all.map do |repo|
      { path: "/repos/#{repo.app_name}.html", template: "templates/repo_template.html" }
    end
  end
end
'''


def test_pages_a_middleman_site_generates_from_code_are_not_checked(tmp_path):
    """config.rb proxies pages whose paths its Ruby code builds (`"/repos/#{repo.app_name}.html"`): links
    into `/repos/` name pages with no source file, also through a redirect and as an own-site URL; a
    page that is missing from a folder of sources is still broken. Without `proxy` nothing is skipped."""
    root = tmp_path / "docs"
    files = {
        "config.rb": 'require "govuk_tech_docs"\nProxyPages.resources.each do |r|\n  proxy r[:path], r[:template]\nend\n',
        "app/proxy_pages.rb": PROXY_PAGES,
        "config/tech-docs.yml": TECH_DOCS,
        "source/repos/by-team.html.md.erb": "# Repos by team\n",
        "source/manual/signon.html.md": "# Signon\n\nSee [signon](/repos/signon.html), [search](/apis/search/search-api.html), "
                                        "[docs](https://docs.example.gov.uk/repos/signon/setup.html) and [gone](/manual/gone.html).\n",
        "rbh.yaml": MIDDLEMAN + "check: {runbook_urls: {prefixes: {'https://docs.example.gov.uk/': 'source/'}}}\n"
                                "site: {url: 'https://docs.example.gov.uk/'}\n",
    }
    commit_history(root, [files])
    assert found(check(root)) == [("RBH301", "source/manual/signon.html.md", 3, "link target `/manual/gone.html` does not exist")]

    plain = tmp_path / "plain"
    commit_history(plain, [{**files, "config.rb": 'require "govuk_tech_docs"\n'}])
    assert sorted(f[3] for f in found(check(plain))) == [
        "link `https://docs.example.gov.uk/repos/signon/setup.html` names a page of this site that no file provides "
        "(looked for `source/repos/signon/setup.md`, `source/repos/signon/setup.html.md.erb`)",
        "link target `/apis/search/search-api.html` does not exist",
        "link target `/manual/gone.html` does not exist",
        "link target `/repos/signon.html` does not exist",
    ]


def test_generated_option_declares_pages_a_site_builds(tmp_path):
    root = tmp_path / "hugo"
    commit_history(root, [{
        "runbooks/db.md": "# DB\n\nSee [the owners](/teams/dba.html) and [gone](/gone.html).\n",
        "rbh.yaml": "check: {rules: {RBH301: {options: {generated: ['/teams/*']}}}}\n",
    }])
    assert found(check(root)) == [("RBH301", "runbooks/db.md", 3, "link target `/gone.html` does not exist")]


CHAT_ALERTS = """\
---
title: Chat Alerts
---

## Alerts by Priority

### Slack Alerts

#### LongRequestDuration

The LongRequestDuration alert means a backend part of the service is slow.

#### HighPod* alerts

The HighPodCPU alerts relate to EKS pod performance.

#### SidekiqAnswerQueueLength

The answer queue length scales the worker pods; check that autoscaling works.

##### Queue dashboard

Open the Sidekiq dashboard.

#### SidekiqAnswerJobAge

A job waited 15 minutes in the answer queue.
"""

CHAT_RULES = """\
groups:
- name: chat
  rules:
  - alert: SidekiqAnswerQueueLength
    expr: sidekiq_queue_size{queue="answer"} > 10
    annotations:
      summary: Sidekiq Answer Queue Length High
      runbook_url: https://docs.example.gov.uk/manual/alerts/chat-alerts.html#sidekiqanswerqueuelength
  - alert: HighPodCPUFE
    expr: cpu > 1
    annotations:
      runbook_url: https://docs.example.gov.uk/manual/alerts/chat-alerts.html#highpod-alerts
"""


def test_alert_anchor_on_a_heading_below_the_index_split_answers_that_heading(tmp_path):
    """GOV.UK's chat alerts page holds one `####` heading per alert under `### Slack Alerts`; the index
    splits at `###`, so the alert's anchor named no chunk and `rbh ask SidekiqAnswerQueueLength` showed
    the whole Slack Alerts section, five alerts long. Now the anchored heading's own part answers,
    its subsections included, with its line and heading path."""
    from ask_support import ask_json, index

    root = tmp_path / "docs"
    commit_history(root, [{
        "source/manual/alerts/chat-alerts.html.md": CHAT_ALERTS,
        "monitoring/chat.yaml": CHAT_RULES,
        "rbh.yaml": MIDDLEMAN + "manifests: {include: ['monitoring/*.yaml']}\n"
                                "check: {runbook_urls: {prefixes: {'https://docs.example.gov.uk/': 'source/'}}}\n",
    }])
    index(root)
    first = ask_json(root, "SidekiqAnswerQueueLength")["results"][0]
    assert (first["via"], first["heading_path"], first["line"], first["anchor"]) == (
        "alert", ["Alerts by Priority", "Slack Alerts", "SidekiqAnswerQueueLength"], 17, "sidekiqanswerqueuelength")
    assert first["text"] == ("#### SidekiqAnswerQueueLength\n\nThe answer queue length scales the worker pods; check that "
                             "autoscaling works.\n\n##### Queue dashboard\n\nOpen the Sidekiq dashboard.")
    first = ask_json(root, "HighPodCPUFE")["results"][0]
    assert (first["heading"], first["line"]) == ("HighPod* alerts", 13)


HOME = """\
# Incident response

This documentation covers the incident response process.

## After an Incident

How we write postmortems after an incident and make sure we don't repeat mistakes.

* [Postmortem Process](after/post_mortem_process.md) - _how to write or run a postmortem._
* [Postmortem Template](after/post_mortem_template.md) - _the template we use for writing postmortems._
* [Effective Postmortems](https://example.org/postmortems) - _a guide elsewhere._
"""

PROCESS = """\
# Postmortem process

For every major incident we follow up with a postmortem.

## Owner

The incident commander picks the owner of the postmortem within 24 hours.

## Writing the postmortem

Write the timeline, the root cause and the action items in the template, then schedule the review.
"""

PROCESS_LIST = """\
# Postmortem process

## Steps

- Write [the timeline](timeline.md) within a day.
- Then hold the postmortem meeting, see the checklist below.
"""


def test_a_best_ranked_list_of_links_hands_over_to_the_page_it_links(tmp_path):
    """PagerDuty's home page lists the postmortem pages under `## After an Incident`; that list ranked
    first for "how do I write a postmortem", GOV.UK's "Help with publishing content" list over the page
    it links. A section whose every list item links a page is a table of contents: the linked page
    that matched too answers, as a whole page; the list follows. A list with one item that links no
    page is no table of contents."""
    from ask_support import ask_json, index

    root = tmp_path / "ir"
    commit_history(root, [{
        "mkdocs.yml": "site_name: IR\n",
        "docs/index.md": HOME,
        "docs/after/post_mortem_process.md": PROCESS,
        "docs/after/post_mortem_template.md": "# Postmortem template\n\n## Summary\n\nWhat happened.\n",
    }])
    index(root)
    results = ask_json(root, "how do I write a postmortem after an incident")["results"]
    assert [(r["path"], r["anchor"], r["line"]) for r in results[:2]] == [
        ("docs/after/post_mortem_process.md", "", 1), ("docs/index.md", "after-an-incident", 5)]
    assert results[0]["procedure"] is not None

    from rbh.indexer.query import hub_targets

    assert hub_targets(HOME.split("## After an Incident", 1)[1].join(["## After an Incident", ""])) == {
        "post_mortem_process", "post_mortem_template"}
    assert hub_targets(PROCESS_LIST.split("## Steps")[1].join(["## Steps", ""])) == set()


def test_mkdocs_pages_without_h1_are_titled_by_their_nav_entry(tmp_path):
    """PagerDuty's pages start with front matter (cover, description) and prose, no H1: answers were
    titled from file names (`incident commander > Purpose`, `index > After an Incident`). MkDocs
    titles them by the nav (`Incident Commander`, `Home`); an H1 or a front matter title still wins,
    and a page the nav leaves out keeps its file name."""
    from ask_support import ask_json, index

    from rbh.project import load_project

    root = tmp_path / "ir"
    commit_history(root, [{
        "mkdocs.yml": "site_name: IR\nnav:\n  - Home: 'index.md'\n  - Training:\n"
                      "    - Incident Commander: 'training/incident_commander.md'\n    - Deputy: 'training/deputy.md'\n",
        "docs/index.md": "---\ncover: a.png\n---\nThis documentation covers incident response.\n",
        "docs/training/incident_commander.md": "---\ndescription: Be an IC.\n---\nSo you want to be an IC?\n\n"
                                               "## Purpose\n\nKeep the incident moving towards resolution.\n",
        "docs/training/deputy.md": "# Deputy Training\n\n## Purpose\n\nSupport the incident commander.\n",
        "docs/training/scribe.md": "So you want to be a scribe?\n\n## Purpose\n\nWrite the timeline.\n",
    }])
    titles = {rb.path: rb.title for rb in load_project(root).load_runbooks(with_git=False)}
    assert titles == {"docs/index.md": "Home", "docs/training/incident_commander.md": "Incident Commander",
                      "docs/training/deputy.md": "Deputy Training", "docs/training/scribe.md": "Purpose"}
    index(root)
    first = ask_json(root, "keep the incident moving towards resolution")["results"][0]
    assert (first["title"], first["heading"]) == ("Incident Commander", "Purpose")


def test_trend_point_survives_a_blob_git_cannot_read(tmp_path):
    """The PagerDuty mirror lacks a PDF's object (a partial clone does too): the commit that names it
    was skipped whole ("SHA ... could not be resolved") and the dashboard said "No history to show
    yet". The file stands in as present; the runbooks are checked as before."""
    import datetime as dt
    import json

    from ask_support import cli

    root = tmp_path / "ir"
    repo, _ = commit_history(root, [
        {"docs/training.md": "# Training\n\n[slides](assets/training.pdf) and [gone](gone.md)\n",
         "docs/assets/training.pdf": b"%PDF-1.4 " + b"\0" * 4096},
        {"docs/deputy.md": "# Deputy\n\n[training](training.md)\n"},
    ], start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10))
    pdf = repo.head.commit.tree / "docs/assets/training.pdf"
    (root / ".git" / "objects" / pdf.hexsha[:2] / pdf.hexsha[2:]).unlink()  # a loose object gone
    (root / "docs/assets/training.pdf").unlink()
    code, out, err = cli(["check", "--repo", str(root), "--trend", "--format", "json"])
    assert code == 0, err
    report = json.loads(out)
    assert [(p["runbooks"], p["findings"]["error"]) for p in report["points"]] == [(1, 1), (2, 1)]
    assert report.get("notices", []) == []


def test_without_config_a_middleman_site_serves_source_at_the_root_and_fixtures_are_no_runbooks(tmp_path):
    """GOV.UK's developer docs without an rbh.yaml: every `*.md` is a runbook, so the runbook folder is
    the repository root and `/manual/sentry.html` was looked for at `manual/`: 328 errors. Middleman
    serves `source/` at `/` (config.rb, or config/tech-docs.yml alone); and `spec/fixtures/markdown.md`,
    a renderer's test input with made-up links, is no runbook."""
    files = {
        "config/tech-docs.yml": "host: https://docs.example.gov.uk\n",
        "source/manual/sentry.html.md": "# Sentry\n\ntext\n",
        "source/manual/errors.html.md": "# Errors\n\n[report exceptions](/manual/sentry.html), [gone](/manual/gone.html)\n",
        "spec/fixtures/markdown.md": "# Fixture\n\n[inline](./inline-link.md)\n",
        "lib/testdata/page.md": "# Test data\n\n[made up](nowhere.md)\n",
    }
    for name, extra in (("published", {}), ("middleman", {"config.rb": 'require "govuk_tech_docs"\n'})):
        root = tmp_path / name
        commit_history(root, [{**files, **extra}])
        report = check(root)
        assert found(report) == [("RBH301", "source/manual/errors.html.md", 3, "link target `/manual/gone.html` does not exist")]
        assert report["summary"]["runbooks_checked"] == 2


def test_back_to_top_links_are_never_broken(tmp_path):
    """kubermatic's generated CRD reference ends every section with `[Back to top](#top)`: 371 false
    RBH302 errors. Browsers scroll to the page's top for `#top` when no element has that id."""
    root = tmp_path / "crds"
    commit_history(root, [{
        "runbooks/crds.md": "# CRDs\n\n## Addon\n\n[Back to top](#top) [Back to TOP](#TOP)\n\n## Cluster\n\n[gone](#nowhere)\n",
    }])
    assert found(check(root)) == [("RBH302", "runbooks/crds.md", 9, "anchor `#nowhere` not found in `runbooks/crds.md`")]


def test_content_root_links_and_hugo_site_root_with_config_toml(tmp_path):
    """kubermatic's docs write images as `@/images/ui/x.png?height=400px` (Zola's content-root syntax,
    which its Hugo theme resolves under the page's product and release with a render hook): 281 false
    errors. The file is looked for under the page's folder and each folder above it. A Hugo site
    configured by `config.toml` beside `content/` serves `content/` at `/` like `hugo.toml` does."""
    root = tmp_path / "kkp"
    commit_history(root, [{
        "config.toml": 'baseURL = "https://docs.example.com/"\n',
        "content/kkp/v2.29/images/ui/admission-plugins.png": b"\x89PNG",
        "content/kkp/v2.29/concepts/networking/images/expose-np.png": b"\x89PNG",
        "content/kkp/v2.29/concepts/networking/_index.en.md":
            "+++\ntitle = 'Networking'\n+++\n\n![plugins](@/images/ui/admission-plugins.png?height=400px&classes=shadow)\n\n"
            "![np](@/concepts/networking/images/expose-np.png)\n\n![gone](@/images/ui/gone.png)\n\n"
            "See [KubeOne](/kubeone/v1.5/upgrading/) and [gone](/kubeone/v1.4/gone/).\n",
        "content/kubeone/v1.5/upgrading/_index.en.md": "+++\ntitle = 'Upgrading'\n+++\n\ntext\n",
        "rbh.yaml": "runbooks: {include: ['content/kkp/v2.29/**/*.md']}\n",
    }])
    assert found(check(root)) == [
        ("RBH301", "content/kkp/v2.29/concepts/networking/_index.en.md", 9, "link target `@/images/ui/gone.png` does not exist"),
        ("RBH301", "content/kkp/v2.29/concepts/networking/_index.en.md", 11, "link target `/kubeone/v1.4/gone/` does not exist"),
    ]


def test_hugo_toml_front_matter_and_language_suffixed_index_pages_are_titled(tmp_path):
    """kubermatic's pages are `_index.en.md` bundles with TOML front matter (`+++ title = "..." +++`),
    which was read as body text: answers were titled `index.en`. The title comes from the TOML front
    matter; without one, a folder's index page is named by its folder and `page.en.md` by `page`; a
    TOML error is one problem, not a crash."""
    from rbh.runbook import parse_runbook

    rb = parse_runbook("content/kkp/v2.29/cheat-sheets/alerting-runbook/_index.en.md",
                       b'+++\ntitle = "Alerting Runbook"\ndate = 2018-08-17T12:07:15+02:00\nweight = 30\n+++\n\nUnder development.\n')
    assert (rb.title, rb.body_line, rb.problems) == ("Alerting Runbook", 6, [])
    assert parse_runbook("content/kkp/etcd-backup/_index.en.md", b"Back up etcd.\n").title == "etcd backup"
    assert parse_runbook("content/kkp/upgrading.en.md", b"Upgrade.\n").title == "upgrading"
    assert parse_runbook("docs/v1.2-notes.md", b"Notes.\n").title == "v1.2 notes"
    broken = parse_runbook("content/a/_index.md", b'+++\ntitle = "unclosed\n+++\n\ntext\n')
    assert [p.message[:32] for p in broken.problems] == ["front matter is not valid TOML: "]


RUNBOOK_JSON = """{
  "groups": [
    {"name": "kubermatic", "rules": [
      {"alert": "KubermaticAPIDown", "expr": "absent(up{job=\\"kubermatic-api\\"} == 1)",
       "annotations": {"runbook_url": "https://docs.example.com/kkp/latest/cheat-sheets/alerting-runbook/#alert-kubermaticapidown"},
       "runbook": {"steps": ["Check the API pod's logs."]}},
      {"alert": "KubermaticSeedNotHealthy", "expr": "kubermatic_seed_healthy == 0",
       "annotations": {"runbook_url": "https://docs.example.com/kkp/latest/cheat-sheets/alerting-runbook/#alert-kubermaticseednothealthy"}},
      {"alert": "KubeletCGroupManagerDurationHigh", "expr": "kubelet_cgroup_manager_duration_seconds > 1",
       "annotations": {"runbook_url": "https://docs.example.com/kkp/latest/cheat-sheets/alerting-runbook/#alert-kubeletcgroupmanagerlatencyhigh"}},
      {"alert": "NodeTimeDrift", "expr": "abs(node_timex_offset_seconds) > 0.05"},
      {"record": "job:up:sum", "expr": "sum(up) by (job)"}
    ]}
  ]
}
"""


def test_rule_groups_in_json_and_anchors_a_site_renders_from_them(tmp_path):
    """kubermatic keeps its alert rules as site data (`data/kubermatic/v2.29/runbook.json`, rule groups
    in JSON, which promtool reads) and a Hugo layout renders the "Alerting Runbook" page from them, one
    `#alert-<name>` anchor per alert; the page's markdown is one sentence. JSON rule files were not read
    at all (no alert checked); read, every anchor was a false RBH203. Now anchors into a page without
    headings follow the pattern two or more alerts establish, and the one named after an old alert name
    is the error, with the anchor to write. A dashboard JSON is still not a rule file."""
    root = tmp_path / "kkp"
    commit_history(root, [{
        "content/kkp/v2.29/cheat-sheets/alerting-runbook/_index.en.md":
            '+++\ntitle = "Alerting Runbook"\ntype = "runbook"\n+++\n\nThe alerts a standard setup can fire.\n',
        "data/kkp/v2.29/runbook.json": RUNBOOK_JSON,
        "data/kkp/v2.29/dashboard.json": '{"title": "Nodes", "panels": [], "groups": ["ops"]}\n',
        "rbh.yaml": "runbooks: {include: ['content/kkp/v2.29/**/*.md']}\nmanifests: {include: ['data/kkp/v2.29/*.json']}\n"
                    "check: {runbook_urls: {prefixes: {'https://docs.example.com/kkp/latest/': 'content/kkp/v2.29/'}}}\n",
    }])
    report = check(root)
    # lines as the JSON file has them: the runbook_url's line, the alert's line
    assert sorted((f["rule"], f["line"], f["message"], f.get("suggestion")) for f in report["findings"]) == [
        ("RBH202", 11, "alert `NodeTimeDrift` has no runbook_url annotation", None),
        ("RBH203", 10, "runbook_url of alert `KubeletCGroupManagerDurationHigh` points to anchor "
                       "`#alert-kubeletcgroupmanagerlatencyhigh`, which `content/kkp/v2.29/cheat-sheets/alerting-runbook/_index.en.md` "
                       "does not have: the page has no headings of its own (the site renders its sections), and 2 other "
                       "alerts' anchors there are `#alert-<alert name>`", "#alert-kubeletcgroupmanagerdurationhigh"),
    ]


def test_site_configs_reached_through_a_symlink_are_not_read(tmp_path):
    """The site files read for redirects, docs_dir and nav titles are the repository's own: a
    symlinked mkdocs.yml or tech-docs.yml (which could name a file outside it) is ignored."""
    from rbh.anchors import mkdocs_nav_titles

    outside = tmp_path / "outside.yml"
    outside.write_text("nav:\n  - Secret: 'oncall.md'\nredirects:\n  /manual/old.html: /manual/new.html\n")
    root = tmp_path / "site"
    commit_history(root, [{
        "docs/oncall.md": "On call.\n\n[old](/manual/old.html)\n",
        "source/manual/new.html.md": "# New\n",
    }])
    (root / "mkdocs.yml").symlink_to(outside)
    (root / "config").mkdir()
    (root / "config" / "tech-docs.yml").symlink_to(outside)
    assert mkdocs_nav_titles(root) == {}
    assert [f[3] for f in found(check(root))] == ["link target `/manual/old.html` does not exist"]
