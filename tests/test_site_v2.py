"""Docs site v2 (issue 17) in real ``mkdocs build``s and headless Chromium: health over time, search
that finds runbooks, the dashboard in every theme, baselined findings shown as known, and owner and
review notices only where a repository uses those fields.

Screenshots go to test-artifacts/ (gitignored); look at them when the CSS changes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from pathlib import Path

import pytest
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from rbh.checks.trend import compute_trend, sample_commits
from site_support import browser_test as browser_only, chromium, serving, shot


RBH_YAML = 'runbooks: {include: ["runbooks/**/*.md"], exclude: ["runbooks/index.md"]}\n'
MKDOCS = textwrap.dedent("""\
    site_name: History runbooks
    docs_dir: runbooks
    site_dir: build/site
    theme:
      name: material
      font: false
    plugins:
      - search
      - rbh-health{options}
    """)
A = textwrap.dedent("""\
    ---
    title: Alpha outage
    owner: team-a
    service: alpha
    alerts: [AlphaDown]
    last_reviewed: 2026-10-01
    review_every: {every}
    ---
    # Alpha outage

    ## Diagnosis

    Check the alpha pods.
    """)
B = textwrap.dedent("""\
    ---
    title: Beta errors
    owner: team-b
    service: beta
    ---
    # Beta errors

    See [the alpha runbook]({link}).
    """)
# (date, files): one commit per ISO week. Expected per week: errors, warnings, stale runbooks
HISTORY = [
    ("2026-10-05T10:00:00+00:00", {"runbooks/a.md": A.format(every="90d"), "runbooks/b.md": B.format(link="a.md")}),
    ("2026-10-13T10:00:00+00:00", {"runbooks/b.md": B.format(link="missing.md")}),  # broken link: error
    ("2026-10-21T10:00:00+00:00", {"runbooks/a.md": A.format(every="14d")}),  # review overdue: warning
    ("2026-10-28T10:00:00+00:00", {"runbooks/b.md": B.format(link="a.md")}),  # link fixed
]
EXPECTED_WEEKS = [("2026-W41", 0, 0, 0), ("2026-W42", 1, 0, 1), ("2026-W43", 1, 1, 1), ("2026-W44", 0, 1, 0)]
BUILD_DAY = dt.datetime(2026, 10, 28, 12, tzinfo=dt.timezone.utc)


def make_history(make_repo, options: str = "") -> Path:
    repo = make_repo()
    repo.write("rbh.yaml", RBH_YAML)
    repo.write("mkdocs.yml", MKDOCS.format(options=options))
    repo.write("runbooks/index.md", "# History runbooks\n")
    for date, files in HISTORY:
        for rel, text in files.items():
            repo.write(rel, text)
        repo.commit(f"change at {date}", date=date)
    return repo.root


def build(root: Path) -> Path:
    mkdocs_build(load_config(str(root / "mkdocs.yml")))
    return root / "build" / "site"


@pytest.fixture(scope="module")
def history_site(tmp_path_factory):
    """The history repository with its last finding recorded in the CI baseline, built once."""
    import os

    from conftest import GitRepo
    from rbh.cli import run

    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(BUILD_DAY.timestamp()))
    counter = iter(range(100))
    root = make_history(lambda: GitRepo(tmp_path_factory.mktemp("history") / f"repo{next(counter)}"))
    assert run(["check", "--repo", str(root), "--write-baseline", "--today", "2026-10-28"]) == 0
    GitRepo(root).commit("baseline", date="2026-10-28T11:00:00+00:00")
    try:
        yield root, build(root)
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


# ------------------------------------------------------------------------------------------ trend


def test_sampling_takes_the_last_commit_of_each_week_or_spreads_over_a_young_history():
    day = dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc)
    commits = [(f"c{i}", day - dt.timedelta(days=i)) for i in range(0, 60)]  # newest first, one a day
    bucket, picks = sample_commits(commits, weeks=4, max_points=12)
    assert bucket == "week" and [p[0] for p in picks] == ["c22", "c15", "c8", "c1", "c0"]  # Sundays, then Monday
    young = [(f"y{i}", day + dt.timedelta(days=2, hours=12 - i)) for i in range(30)]  # Wednesday, one week
    bucket, picks = sample_commits(young, weeks=12, max_points=4)
    assert bucket == "commit" and [p[0] for p in picks] == ["y29", "y19", "y10", "y0"]


def test_trend_series_from_history_read_through_git(history_site, rbh):
    root, _ = history_site
    trend = compute_trend(root, weeks=12).as_dict()
    assert trend["bucket"] == "week"
    got = [(p["label"], p["findings"]["error"], p["findings"]["warning"], p["stale"]) for p in trend["points"]]
    assert got == EXPECTED_WEEKS
    last = trend["points"][-1]["owners"]
    assert last["team-a"] == {"error": 0, "warning": 1, "stale": 0, "runbooks": 1}
    assert trend["points"][1]["owners"]["team-b"]["stale"] == 1
    # the work tree is untouched: nothing was checked out
    assert "missing.md" not in (root / "runbooks/b.md").read_text()
    # the same series from the CLI
    code, out, err = rbh(["check", "--repo", str(root), "--trend", "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["points"] == trend["points"]
    code, out, err = rbh(["check", "--repo", str(root), "--trend", "--format", "text"])
    assert code == 2 and "--trend prints json only" in err


@browser_only
def test_chart_renders_one_point_per_week_with_a_table_fallback(history_site, tmp_path):
    root, site = history_site
    with serving(site) as url, chromium(tmp_path / "profile") as new_page:
        page = new_page()
        page.goto(url + "health/")
        chart = page.locator(".rbh-trend__chart")
        assert chart.get_attribute("data-rbh-points") == "4"
        for series in ("error", "warning", "stale"):
            assert chart.locator(f"svg circle.rbh-trend__pt--{series}").count() == 4
        assert chart.locator("svg").is_visible() and chart.locator("svg").bounding_box()["width"] > 400
        tooltips = chart.locator("svg circle.rbh-trend__pt--error title").all_text_contents()
        assert tooltips == [f"{w}: {e} error findings" for w, e, _, _ in EXPECTED_WEEKS]
        # screen readers read the same numbers from the table
        rows = [r.locator("th, td").all_text_contents() for r in chart.locator("table.rbh-trend__table tbody tr").all()]
        assert rows == [[w, str(e), str(wa), str(s)] for w, e, wa, s in EXPECTED_WEEKS]
        assert chart.locator("svg").get_attribute("aria-hidden") == "true"
        # one chart per owner
        owners = page.locator(".rbh-trend__owner").evaluate_all("els => els.map(e => e.dataset.rbhOwner)")
        assert owners == ["team-a", "team-b"]
        assert page.locator('.rbh-trend__owner[data-rbh-owner="team-b"] circle.rbh-trend__pt--stale').count() == 4
        # no script, no external request drew it
        assert [u for u in page.requests if not u.startswith(url)] == []
        assert page.js_errors == []
        shot(page, "site-v2-trend-chart", full_page=True)


# ------------------------------------------------------------------------------------------ known


@browser_only
def test_known_findings_show_as_known(history_site, tmp_path):
    root, site = history_site
    with serving(site) as url, chromium(tmp_path / "profile") as new_page:
        page = new_page()
        page.goto(url + "a/")
        banner = page.locator("aside.rbh-banner")
        assert banner.get_attribute("data-rbh-status") == "known"
        assert banner.locator(".rbh-badge").inner_text().strip().lower() == "known issues"
        known = banner.locator(".rbh-known li.rbh-finding--known")
        assert known.count() == 1 and "review overdue" in known.inner_text()
        colours = {s: page.evaluate(f"""() => {{ const e = document.createElement('span');
            e.className = 'rbh-badge rbh-badge--{s}'; document.body.append(e);
            return getComputedStyle(e).backgroundColor; }}""") for s in ("known", "warning", "healthy", "error")}
        assert len(set(colours.values())) == 4, colours  # its own colour
        shot(page, "site-v2-known-banner")
        page.goto(url + "health/")
        assert "1 with known findings only" in page.locator(".rbh-summary").inner_text()
        row = page.locator('tr[data-rbh-status="known"]')
        assert row.count() == 1 and "+1 known" in row.inner_text()
        page.select_option("select[data-rbh-filter=status]", "known")
        assert page.locator("table[data-rbh-table] tbody tr:visible").count() == 1


def test_known_findings_can_be_hidden(make_repo, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(BUILD_DAY.timestamp())))
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    from rbh.cli import run

    root = make_history(make_repo, options=":\n      show_known: false\n      trend: false")
    assert run(["check", "--repo", str(root), "--write-baseline", "--today", "2026-10-28"]) == 0
    site = build(root)
    html = (site / "a/index.html").read_text()
    assert 'data-rbh-status="healthy"' in html and "1 finding suppressed (inline, snooze or baseline)" in html


# ------------------------------------------------------------------------------------------ quiet fields


def test_owner_and_review_notices_only_when_the_repository_uses_them(make_repo, monkeypatch):
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    files = {"rbh.yaml": RBH_YAML, "runbooks/index.md": "# Home\n", "runbooks/x.md": "# X outage\n\nRestart it.\n",
             "mkdocs.yml": MKDOCS.format(options=":\n      trend: false")}
    site = build(make_repo(files).root)
    page = (site / "x/index.html").read_text()
    assert "none set" not in page and "never reviewed" not in page
    dash = (site / "health/index.html").read_text()
    assert ">Owner<" not in dash and "Last reviewed" not in dash and "never reviewed" not in dash
    assert 'data-rbh-filter="owner"' not in dash
    # a config option asks for them anyway
    files["mkdocs.yml"] = MKDOCS.format(options=":\n      trend: false\n      show_owner: always\n      show_review: always")
    site = build(make_repo(files).root)
    assert "none set" in (site / "x/index.html").read_text() and "never reviewed" in (site / "x/index.html").read_text()
    # one runbook with an owner: the field is in use, the others say "none set"
    files["mkdocs.yml"] = MKDOCS.format(options=":\n      trend: false")
    files["runbooks/y.md"] = "---\nowner: team-y\n---\n# Y\n"
    site = build(make_repo(files).root)
    assert "none set" in (site / "x/index.html").read_text() and "never reviewed" not in (site / "x/index.html").read_text()


# ------------------------------------------------------------------------------------------ search


@browser_only
def test_search_for_an_alert_name_lists_its_runbook_first_and_no_plugin_page(example_site, tmp_path):
    assert example_site.returncode == 0, example_site.log
    with serving(example_site.site) as url, chromium(tmp_path / "profile") as new_page:
        page = new_page()
        for query, expected in (("CheckoutHighLatency", "services/checkout/"), ("KubePodCrashLooping", None),
                                ("disk will fill up in 4 hours on a node", None)):
            page.goto(url)
            box = page.locator("input.md-search__input")
            box.click()
            # the whole query at once: typed key by key, each prefix was searched and its results
            # re-rendered while they were read (a result vanished under the reader on a busy machine)
            box.fill(query)
            page.keyboard.press("End")
            page.locator(".md-search-result__item").first.wait_for()
            links = page.locator(".md-search-result__item > a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            pages = [re.sub(r"^\.?/?|\?.*$|#.*$", "", h.replace(url, "")) for h in links]
            assert not {"health/", "alerts/", "checks/"} & set(pages), (query, pages)
            if expected:
                assert pages[0] == expected, (query, pages)
        shot(page, "site-v2-search")


# ------------------------------------------------------------------------------------------ themes


THEMES = {  # highlightjs would load from a CDN: the example highlights with pygments
    "mkdocs": "theme:\n  name: mkdocs\n  highlightjs: false\n",
    "readthedocs": "theme:\n  name: readthedocs\n  highlightjs: false\n",
}


@pytest.fixture(scope="module")
def theme_sites(drift_site, tmp_path_factory):
    """The drift scenario's site in the mkdocs and readthedocs themes (material comes from drift_site)."""
    import shutil

    from conftest import build_site

    out = {}
    for name, theme in THEMES.items():
        root = tmp_path_factory.mktemp(f"theme-{name}") / "repo"
        shutil.copytree(drift_site.root, root, ignore=shutil.ignore_patterns("build"), symlinks=True)
        yml = (root / "mkdocs.yml").read_text()
        yml = re.sub(r"(?ms)^theme:\n.*?(?=^\S)", theme, yml)
        yml = yml.replace("      fail_on_error: false", "      fail_on_error: false\n      trend_points: 6")
        yml = yml.replace("extra_css:\n  - assets/site.css\n", "")
        (root / "mkdocs.yml").write_text(yml)
        build = build_site(root, strict=False)
        assert build.returncode == 0, build.log
        out[name] = build
    return out


def _fits(page) -> dict:
    return page.evaluate("""() => {
        const wrap = document.querySelector('.rbh-table-wrap');
        const table = wrap.querySelector('table');
        const ths = [...table.querySelectorAll('thead th')];
        const right = wrap.getBoundingClientRect().right;
        const btn = table.querySelector('th button');
        const cs = getComputedStyle(btn);
        return {scroll: table.scrollWidth, room: wrap.clientWidth, page: document.documentElement.scrollWidth,
                vw: window.innerWidth, cut: ths.filter(th => th.getBoundingClientRect().right > right + 1).map(th => th.textContent),
                buttonBg: cs.backgroundColor, buttonBorder: cs.borderTopWidth,
                chart: document.querySelector('.rbh-trend__svg').getBoundingClientRect().width};
    }""")


@browser_only
@pytest.mark.parametrize("theme", ["material-light", "material-dark", "mkdocs", "readthedocs"])
def test_dashboard_fits_1280_in_each_theme(theme, drift_site, theme_sites, tmp_path):
    site = drift_site if theme.startswith("material") else theme_sites[theme]
    assert site.returncode == 0, site.log
    with serving(site.site) as url, chromium(tmp_path / "profile", width=1280, height=900) as new_page:
        page = new_page()
        page.goto(url + "health/")
        if theme == "material-dark":
            page.locator('label[for="__palette_1"]').click()
            assert page.evaluate("() => document.body.dataset.mdColorScheme") == "slate"
        fit = _fits(page)
        assert fit["scroll"] <= fit["room"] and fit["cut"] == [], fit  # no column cut off, no sideways scroll
        assert fit["page"] <= fit["vw"], fit
        assert fit["buttonBg"] in ("rgba(0, 0, 0, 0)", "transparent") and fit["buttonBorder"] == "0px", fit
        assert fit["chart"] > 300, fit
        assert page.js_errors == []
        shot(page, f"site-v2-dashboard-{theme}", full_page=True)
        page.goto(url + "services/checkout/")
        banner = page.locator("aside.rbh-banner")
        assert banner.get_attribute("data-rbh-status") == "error"
        box = banner.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
        shot(page, f"site-v2-banner-{theme}")


@pytest.mark.parametrize("theme", ["mkdocs", "readthedocs"])
def test_search_index_in_mkdocs_own_search_has_keywords_and_no_plugin_pages(make_repo, monkeypatch, theme):
    """MkDocs' own search plugin ignores `search.exclude` and `tags`: the plugin filters its index and
    appends the alerts and service to the runbook's page entry."""
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    yml = MKDOCS.format(options=":\n      trend: false").replace("name: material", f"name: {theme}")
    yml = yml.replace("  - search\n", "  - search:\n      prebuild_index: false\n")
    root = make_repo({"rbh.yaml": RBH_YAML, "mkdocs.yml": yml, "runbooks/index.md": "# Home\n",
                      "runbooks/a.md": A.format(every="90d")}).root
    index = json.loads((build(root) / "search/search_index.json").read_text())
    pages = {d["location"].split("#")[0] for d in index["docs"]}
    assert pages == {"", "a/"}
    entry = next(d for d in index["docs"] if d["location"] == "a/")
    assert entry["text"].endswith(" AlphaDown alpha") and entry["tags"] == ["AlphaDown", "alpha"]


def test_trend_summary_counts_in_words_for_a_one_commit_history():
    from rbh.checks.site_render import trend_html

    point = {"label": "abc1234", "date": "2026-11-20", "findings": {"error": 1, "warning": 2}, "stale": 1, "owners": {}}
    html = trend_html({"bucket": "commit", "points": [point]}, per_owner=False)
    assert ("Open findings and stale runbooks at its one commit of 2026-11-20. "
            "Now: 1 error, 2 warnings, 1 stale runbook.") in html
    two = trend_html({"bucket": "commit", "points": [point, {**point, "date": "2026-11-21"}]}, per_owner=False)
    assert "at 2 commits from 2026-11-20 to 2026-11-21" in two
