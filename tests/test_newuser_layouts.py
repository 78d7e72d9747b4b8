"""Round 3 of the new-user trial (bench/README.md): layouts of public runbook repositories that gave
false errors, each reduced to a minimal reproduction in a real temporary git repository.

- a Hugo site without rbh.yaml: archetypes (Go template front matter) are templates, not runbooks;
  ``### Title{#id}`` (no space) sets the heading id, as Goldmark reads it;
- a footnote definition (``[^1]: text``) is not a link reference definition;
- links written for the built site: ``page.html`` to a Middleman ``page.html.md.erb`` source, and a
  folder URL (``../other/``) from a page MkDocs or Hugo serves at ``page/``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ask_support import cli
from checks_support import commit_history
from newuser_support import check, found


HUGO_PAGE = """\
---
title: Pod stuck in Pending
---

## Overview {#overview}

1) [Check the events](#step-1)
2) [Check the quotas](#step-2)
3) [A missing step](#step-3)

### 1) Check the events{#step-1}

`kubectl describe pod`

### 2) Check the quotas {#step-2}

`kubectl describe quota`
"""


def test_hugo_site_without_config_archetypes_and_tight_heading_ids(tmp_path):
    root = tmp_path / "hugo"
    commit_history(root, [{
        "config.toml": 'baseURL = "https://runbooks.example.org/"\ntitle = "Runbooks"\n',
        "archetypes/default.md": '---\ntitle: "{{ replace .Name "-" " " | title }}"\ndate: {{ .Date }}\n---\n',
        "themes/plain/exampleSite/content/post.md": "# Example\n\n[broken](nowhere.md)\n",
        "Readme.md": "# About this site\n\nCreate `docs/hooks.py` first.\n",
        "SECURITY.md": "# Reporting\n\n[policy](policy.md)\n",
        "content/kubernetes/pending.md": HUGO_PAGE,
    }])
    report = check(root)
    # only the link to a heading that really has no id; no RBH001 for the archetype, nothing from the theme
    assert found(report) == [("RBH302", "content/kubernetes/pending.md", 9,
                              "anchor `#step-3` not found in `content/kubernetes/pending.md`")]
    assert report["summary"]["runbooks_checked"] == 1


def test_tight_attribute_stays_text_on_an_mkdocs_site(tmp_path):
    """Python-Markdown's attr_list needs the space: on an MkDocs site `Title{#id}` sets no id."""
    root = tmp_path / "mk"
    commit_history(root, [{
        "mkdocs.yml": "site_name: t\nmarkdown_extensions: [attr_list]\n",
        "runbooks/pending.md": "# Pending\n\n[events](#step-1)\n\n## 1) Check the events{#step-1}\n\ntext\n",
    }])
    assert [f[0] for f in found(check(root))] == ["RBH302"]


def test_footnote_definition_is_not_a_link(tmp_path):
    root = tmp_path / "fn"
    commit_history(root, [{
        "runbooks/notes.md": "# Notes\n\nA claim.[^1] Another.[^note] See [ref].\n\n  [^1]: Lorem ipsum dolor sit amet.\n"
                             "[^note]: See https://example.org/doc for more.\n\n[ref]: missing.md\n",
    }])
    # the (used) reference definition is still checked; the footnotes are not links
    assert found(check(root)) == [("RBH301", "runbooks/notes.md", 8, "link target `missing.md` does not exist")]


def test_site_urls_to_middleman_sources_and_folder_urls(tmp_path):
    root = tmp_path / "site"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["source/**/*.html.md.erb", "docs/**/*.md"]\n',
        "source/certs/index.html.md.erb": "---\ntitle: Certificates\n---\n# <%= current_page.data.title %>\n\n"
                                          "- [Renew](renew.html)\n- [Order](order.html)\n- [Gone](gone.html)\n",
        "source/certs/renew.html.md.erb": "# Renew\n\nSee [ordering](./order.html#steps).\n",
        "source/certs/order.html.md.erb": "# Order\n\n## Steps\n\ntext\n",
        "docs/elements/pymdown.md": "# Pymdown\n\nSee [admonitions][1] and [gone](../nothere/).\n\n  [1]: ../admonition/#collapsible-blocks\n",
        "docs/elements/admonition.md": "# Admonition\n\n## Collapsible blocks\n\ntext\n",
    }])
    assert found(check(root)) == [
        ("RBH301", "docs/elements/pymdown.md", 3, "link target `../nothere/` does not exist"),
        ("RBH301", "source/certs/index.html.md.erb", 8, "link target `gone.html` does not exist"),
    ]


TROUBLESHOOTING_PAGE = """\
---
title: Pod in CrashLoopBackOff
---

## Overview {#overview}

A pod whose container keeps exiting is restarted with a growing back-off.

## Check RunBook Match {#check-runbook-match}

`kubectl get pods` shows `CrashLoopBackOff` in the STATUS column.

## Initial Steps Overview {#initial-steps-overview}

1) [Gather information](#step-1)

## Detailed Steps {#detailed-steps}

### 1) Gather information {#step-1}

Save the pod description: `kubectl describe pod "$POD" > /tmp/describe.txt`

## Solutions List {#solutions-list}

A) [Fix the start command](#solution-a)

## Solutions Detail {#solutions-detail}

### A) Fix the start command {#solution-a}

Set the container command in the pod spec and roll the deployment again.

## Check Resolution {#check-resolution}

The pod reaches Running and stays there.

## Further Steps {#further-steps}

Raise the probe timeouts when the application starts slowly.

## Further Information {#further-information}

The kubelet back-off doubles up to five minutes.

## Owner {#owner}

Platform team
"""


def test_troubleshooting_template_page_is_answered_as_its_procedure(tmp_path):
    """A ten-section troubleshooting page (Overview ... Solutions Detail, Check Resolution, Further
    Information, Owner) is one topic: the free-text answer is its procedure, not the two-line Overview."""
    from ask_support import ask_json, index

    from rbh.indexer.answer import ProcedureSection, is_action_heading, is_procedure_page

    heads = ["Overview", "Check RunBook Match", "Initial Steps Overview", "Detailed Steps", "Solutions List",
             "Solutions Detail", "Check Resolution", "Further Steps", "Further Information", "Owner"]
    assert is_procedure_page([ProcedureSection(h, 2, h.lower(), i, f"## {h}", is_action_heading(h))
                              for i, h in enumerate(heads)])
    root = tmp_path / "ts"
    commit_history(root, [{
        "content/kubernetes/crashloopbackoff.md": TROUBLESHOOTING_PAGE,
        "content/kubernetes/pending.md": HUGO_PAGE,
    }])
    index(root)
    r = ask_json(root, "pod keeps restarting in CrashLoopBackOff", "--top-k", "1")["results"][0]
    assert r["path"] == "content/kubernetes/crashloopbackoff.md"
    # every section with text, in page order (a heading whose body is only subsections has no chunk)
    assert [s["heading"] for s in r["procedure"]] == [
        "Overview", "Check RunBook Match", "Initial Steps Overview", "1) Gather information", "Solutions List",
        "A) Fix the start command", "Check Resolution", "Further Steps", "Further Information", "Owner"]
    code, out, err = cli(["ask", "--repo", str(root), "pod keeps restarting in CrashLoopBackOff", "--top-k", "1"])
    assert code == 0, err
    assert "Set the container command in the pod spec and roll the deployment again." in out
    assert out.index("## Overview") < out.index("### A) Fix the start command") < out.index("## Owner")


def test_template_only_title_heading_reads_as_the_page_title(tmp_path):
    """Middleman (tech-docs-template) pages start with `# <%= current_page.data.title %>`: the site
    shows the front matter title there, and so must citations and the crumbs of rbh ask."""
    from ask_support import index

    root = tmp_path / "erb"
    commit_history(root, [{
        "rbh.yaml": 'runbooks:\n  include: ["source/**/*.html.md.erb"]\n',
        "source/aks/upgrade.html.md.erb": "---\ntitle: Upgrading AKS clusters\n---\n# <%= current_page.data.title %>\n\n"
                                          "## Drain the node pool\n\nCordon and drain each node before the upgrade: "
                                          "`kubectl drain \"$NODE\" --ignore-daemonsets`\n",
    }])
    index(root)
    code, out, err = cli(["ask", "--repo", str(root), "drain the node pool before an AKS upgrade", "--top-k", "1"])
    assert code == 0, err
    assert "<%" not in out and "Upgrading AKS clusters" in out


def test_mkdocs_yml_outside_the_repository_is_named_as_such(tmp_path, caplog):
    """A mkdocs.yml kept outside the runbook repository stopped the build with 'docs folder . links
    outside the repository (remove the link ...)', though nothing was a link; the error says what is."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, PluginError

    import pytest

    repo = tmp_path / "runbooks-repo"
    commit_history(repo, [{"docs/index.md": "# Runbooks\n"}])
    cfg = tmp_path / "elsewhere" / "mkdocs.yml"
    cfg.parent.mkdir()
    cfg.write_text(f"site_name: t\ndocs_dir: {repo / 'docs'}\nsite_dir: {tmp_path / 'site'}\nplugins:\n  - rbh-health\n")
    with pytest.raises((Abort, PluginError)):
        build(load_config(str(cfg)))
    message = caplog.text
    assert "is outside the repository" in message and "`repo` option" in message and "remove the link" not in message
    # with the repo option it builds
    cfg.write_text(cfg.read_text().replace("  - rbh-health\n", f"  - rbh-health:\n      repo: {repo}\n"))
    build(load_config(str(cfg)))
    assert (tmp_path / "site" / "index.html").is_file()


SUBTREE_PAGE = """\
## ManagedClusterConditionUnknown

Get the ManagedCluster and look for the condition `ManagedClusterJoined`:

```bash
oc get managedcluster "$CLUSTER" -o yaml
```

### a. If the condition does not exist

The cluster was never imported: read the Klusterlet's `Available` condition.

```bash
oc get klusterlet "$KLUSTERLET" -o jsonpath='{.status.conditions}'
```

### b. If the condition exists

Delete the import secret so the hub sends the current CA bundle again.
"""


def test_best_section_comes_with_its_subsections(tmp_path):
    """One alert per file without a title: `## AlertName`, then the steps as `### a. If ...` and
    `### b. If ...`. The answer was the two-line introduction; the steps are the subsections."""
    from ask_support import ask_json, index

    root = tmp_path / "sub"
    commit_history(root, [{
        "alerts/managedcluster_condition_unknown.md": SUBTREE_PAGE,
        "alerts/other.md": "# Work apply failed\n\n## Check the work\n\n`oc get manifestwork -A`\n",
    }])
    index(root)
    r = ask_json(root, "ManagedClusterConditionUnknown", "--top-k", "1")["results"][0]
    assert r["anchor"] == "managedclusterconditionunknown"
    assert [(s["heading"], s["action"]) for s in r["procedure"]] == [
        ("ManagedClusterConditionUnknown", True), ("a. If the condition does not exist", True),
        ("b. If the condition exists", True)]
    code, out, err = cli(["ask", "--repo", str(root), "ManagedClusterConditionUnknown", "--top-k", "1"])
    assert code == 0, err
    assert "Delete the import secret so the hub sends the current CA bundle again." in out
    assert "oc get klusterlet" in out


def test_absolute_link_to_the_own_site_is_checked_like_a_relative_one(tmp_path):
    """hmcts/ops-runbooks links its own published pages by absolute URL; a restructuring deleted
    `network/connecting-palos.html.md.erb` and the link stayed. With `site.url` set, such links are
    checked against the repository (pages only: .html, .md, folder URLs; other pages of the site that
    are not runbooks, images, other hosts are left alone)."""
    site = "https://docs.example.org/ops/"
    root = tmp_path / "own"
    commit_history(root, [{
        "rbh.yaml": f'runbooks:\n  include: ["source/**/*.html.md.erb"]\nsite:\n  url: {site}\n',
        "source/network/index.html.md.erb": "# Network\n",
        "source/network/palo.html.md.erb": "# Palo\n",
        "source/about.html.erb": "<h1>About</h1>\n",
        "source/monitoring/alerts.html.md.erb": (
            f"# Alerts\n\n- [Palo]({site}network/palo.html#panorama)\n- [Network]({site}network/)\n"
            f"- [About]({site}about.html)\n- [Diagram]({site}images/net.png)\n- [Elsewhere](https://other.example.org/x.html)\n"
            f"- [Connecting]({site}network/connecting-palos.html#access)\n"),
    }])
    assert found(check(root)) == [(
        "RBH301", "source/monitoring/alerts.html.md.erb", 8,
        f"link `{site}network/connecting-palos.html#access` names a page of this site that no file provides "
        "(looked for `source/network/connecting-palos.md`, `source/network/connecting-palos.html.md.erb`)")]


def test_trend_uses_the_current_config_where_a_commit_has_none_and_keeps_big_images(tmp_path):
    """`rbh check --trend` on hmcts/ops-runbooks, whose rbh.yaml was not committed yet, counted 1
    runbook at every past week (the defaults), and screenshots over 2 MB were left out of past trees,
    so the links to them were errors the check of the work tree does not have."""
    import datetime as dt

    root = tmp_path / "trend"
    page = "---\ntitle: Upgrade\n---\n# Upgrade\n\n![activity log](Images/shot.png)\n\n[gone](gone.html)\n"
    commit_history(root, [
        {"source/aks/upgrade.html.md.erb": page, "source/aks/Images/shot.png": b"\x89PNG" + b"\0" * 2_100_000},
        {"source/aks/rebuild.html.md.erb": "# Rebuild\n\nSee [upgrade](upgrade.html).\n"},
    ], start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10))
    (root / "rbh.yaml").write_text('runbooks:\n  include: ["source/**/*.html.md.erb"]\n')  # not committed
    now = check(root)
    assert [(f["rule"], f["message"]) for f in now["findings"]] == [("RBH301", "link target `gone.html` does not exist")]
    code, out, err = cli(["check", "--repo", str(root), "--trend", "--format", "json"])
    assert code == 0, err
    points = json.loads(out)["points"]
    assert [(p["runbooks"], p["findings"]["error"]) for p in points] == [(1, 1), (2, 1)]


def test_pre_commit_hooks_run_for_middleman_pages():
    """The hooks' `files` filter decides whether they run at all: a tech-docs page
    (`page.html.md.erb`) changed alone must run them."""
    import re

    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    for hook in hooks:
        pattern = re.compile(hook["files"])
        for path in ("source/aks/upgrade.html.md.erb", "docs/runbooks/a.md", "rbh.yaml", "rules/a.yml", "config.toml"):
            assert pattern.search(path), (hook["id"], path)
        assert not pattern.search("images/shot.png")


def test_html_ids_redirections_and_moved_files(tmp_path):
    """From a public ops repository with runbooks, Prometheus rules and a compose file:
    - `## Runbook: High CPU <a id="runbook-cpu"></a>` is what `#runbook-cpu` lands on (7 false RBH302);
    - `docker compose logs > debug-logs.txt` names no service `debug-logs.txt` (2 false RBH106), nor
      does `kubectl get pods > pods.txt` a pod;
    - a link broken by moving the page next to its target suggests that file, not a similarly named
      one elsewhere."""
    root = tmp_path / "ops"
    commit_history(root, [{
        "project/docker-compose.yml": "services:\n  web:\n    image: nginx\n",
        "project/docs/OPERATIONS.md": "# Operations\n",
        "other/wiki/operations.md": "# Wiki operations\n",
        "project/.env.example": "A=1\n",
        "project/docs/RUNBOOKS.md": (
            "# Runbooks\n\n1. [High CPU](#runbook-cpu)\n2. [Old name](#legacy)\n3. [Missing](#runbook-db)\n\n"
            "## Runbook: High CPU <a id=\"runbook-cpu\"></a>\n\n<a name='legacy'></a>\n\n```bash\n"
            "docker compose logs > debug-logs.txt\ndocker compose ps >> status.txt 2>&1\ndocker compose logs web 2>/dev/null\n"
            "kubectl get pods > pods.txt\n<a id=\"in-code\"></a>\n```\n\n"
            "See [operations](./docs/OPERATIONS.md), [env](./.env.example) and [code](#in-code).\n"),
        "rbh.yaml": 'runbooks:\n  include: ["project/docs/RUNBOOKS.md"]\nmanifests:\n  include: ["project/docker-compose.yml"]\n',
    }])
    assert [(f["rule"], f["line"], f["message"], f["suggestion"]) for f in check(root)["findings"]] == [
        ("RBH302", 5, "anchor `#runbook-db` not found in `project/docs/RUNBOOKS.md`", None),
        ("RBH301", 19, "link target `./docs/OPERATIONS.md` does not exist", "OPERATIONS.md"),
        ("RBH301", 19, "link target `./.env.example` does not exist", "../.env.example"),
        ("RBH302", 19, "anchor `#in-code` not found in `project/docs/RUNBOOKS.md`", None),
    ]


def test_repository_path_relative_to_a_project_folder_in_a_monorepo(tmp_path):
    """`assets/pbs/pbs-jobs.yaml` in `projects/p2/assets/runbooks/backup.md` is the project's file
    `projects/p2/assets/pbs/pbs-jobs.yaml` (5 false RBH303 warnings); a path that exists nowhere is still
    reported."""
    root = tmp_path / "mono"
    commit_history(root, [{
        "assets/logo.txt": "x\n",
        "scripts/setup.sh": "echo\n",
        "projects/p2/assets/pbs/pbs-jobs.yaml": "jobs: []\n",
        "projects/p2/assets/scripts/verify.sh": "echo\n",
        "projects/p2/assets/runbooks/backup.md": "# Backup\n\nRead `assets/pbs/pbs-jobs.yaml`, run `scripts/verify.sh`, "
                                                  "then `scripts/restore.sh`.\n",
        "rbh.yaml": 'runbooks:\n  include: ["projects/**/runbooks/*.md"]\n',
    }])
    assert found(check(root)) == [("RBH303", "projects/p2/assets/runbooks/backup.md", 3,
                                   "repository path `scripts/restore.sh` does not exist")]


def test_runbook_url_to_a_page_the_globs_leave_out_says_so(tmp_path):
    """A runbook_url naming a page that exists outside `runbooks.include` said "create it with `rbh
    new`": the fix is the config, not a second page."""
    root = tmp_path / "globs"
    commit_history(root, [{
        "ops/pbs/pbs-restore-checklist.md": "# Restore\n",
        "ops/runbooks/backup.md": "# Backup\n",
        "ops/rules/alerts.yml": ("groups:\n  - name: b\n    rules:\n      - alert: BackupJobFailed\n        expr: up == 0\n"
                                 "        annotations:\n          runbook_url: ../pbs/pbs-restore-checklist.md\n"
                                 "      - alert: BackupTooOld\n        expr: up == 0\n"
                                 "        annotations:\n          runbook_url: ../runbooks/backup-too-old.md\n"),
        "rbh.yaml": 'runbooks:\n  include: ["ops/runbooks/*.md"]\nmanifests:\n  include: ["ops/rules/*.yml"]\n',
    }])
    messages = [f["message"] for f in check(root)["findings"] if f["rule"] == "RBH203"]
    assert messages == [
        "runbook_url of alert `BackupJobFailed` points to `pbs-restore-checklist.md`, which does not exist; "
        "`ops/pbs/pbs-restore-checklist.md` has that name but is not a runbook (add it to `runbooks.include`)",
        "runbook_url of alert `BackupTooOld` points to `backup-too-old.md`, which does not exist; "
        "create it with `rbh new BackupTooOld`",
    ]


def test_title_of_a_page_without_h1_is_its_lone_top_heading():
    """`## ManagedClusterConditionUnknown` with `### a. ...` and `### b. ...` under it: the page is
    titled by that heading, not `managedclulster condition unknown` from the file name; a page of
    several `##` sections keeps the file name."""
    from rbh.runbook import parse_markdown

    one = parse_markdown("alerts/managedclulster_condition_unknown.md", SUBTREE_PAGE)
    assert one.title == "ManagedClusterConditionUnknown"
    several = parse_markdown("alerts/disk-full.md", "## Overview\n\ntext\n\n## Steps\n\ntext\n")
    assert several.title == "disk full"
