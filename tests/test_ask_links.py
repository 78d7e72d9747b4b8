"""Issue 14: citation URLs per site layout (MkDocs through its own config loader, Hugo, GitHub and
GitLab blob URLs), the alert's own runbook_url first, and one notice instead of a wrong URL when no
layout fits."""

from __future__ import annotations


from ask_support import RBH_YAML, ask_json, index, make_shop
from rbh.indexer.links import detect_layout, no_layout_notice, page_url


def test_mkdocs_layout_from_mkdocs_own_loader(tmp_path):
    (tmp_path / "runbooks" / "db").mkdir(parents=True)
    (tmp_path / "mkdocs.yml").write_text("site_name: x\ndocs_dir: runbooks\n")
    lay = detect_layout(tmp_path, "https://runbooks.example.test/")
    assert (lay.kind, lay.content_dir, lay.directory_urls) == ("mkdocs", "runbooks", True)
    assert page_url(lay, "runbooks/db/redis.md", "evictions") == "https://runbooks.example.test/db/redis/#evictions"
    assert page_url(lay, "runbooks/db/index.md") == "https://runbooks.example.test/db/"
    assert page_url(lay, "ops/other.md") is None
    assert no_layout_notice(lay, "ops/other.md") == \
        "site.url (mkdocs layout) has no page for ops/other.md (outside 'runbooks'); link left out"


def test_mkdocs_config_never_runs_the_repository_code(tmp_path):
    """hooks: and plugins: of an untrusted mkdocs.yml would import Python files: they are overridden."""
    (tmp_path / "docs").mkdir()
    marker = tmp_path / "pwned"
    (tmp_path / "hook.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nuse_directory_urls: false\nhooks:\n  - hook.py\n")
    lay = detect_layout(tmp_path, "https://s.test")
    assert not marker.exists()
    assert page_url(lay, "docs/a/b.md", "h") == "https://s.test/a/b.html#h"


def test_broken_mkdocs_yml_gives_a_notice_not_a_url(tmp_path):
    (tmp_path / "mkdocs.yml").write_text("site_name: [unclosed\n")
    lay = detect_layout(tmp_path, "https://s.test")
    assert lay.kind == "none" and page_url(lay, "docs/a.md") is None
    assert no_layout_notice(lay, "docs/a.md").startswith("site.url is set but no site layout fits: mkdocs.yml could not be read (")


def test_hugo_layout(tmp_path):
    (tmp_path / "hugo.toml").write_text('baseURL = "https://ops.example.test/"\ncontentDir = "site-content"\n')
    lay = detect_layout(tmp_path, "https://ops.example.test/")
    assert (lay.kind, lay.content_dir, lay.lower) == ("hugo", "site-content", True)
    assert page_url(lay, "site-content/runbooks/Disk Full.md", "x", "Check the Volume") == \
        "https://ops.example.test/runbooks/disk-full/#check-the-volume"
    assert page_url(lay, "site-content/runbooks/_index.md") == "https://ops.example.test/runbooks/"
    assert page_url(lay, "docs/x.md") is None
    (tmp_path / "hugo.toml").write_text("uglyURLs = true\ndisablePathToLower = true\n")
    ugly = detect_layout(tmp_path, "https://ops.example.test")
    assert page_url(ugly, "content/Runbooks/DiskFull.md") == "https://ops.example.test/Runbooks/DiskFull.html"


def test_github_and_gitlab_blob_urls_at_the_indexed_commit(tmp_path):
    gh = detect_layout(tmp_path, "https://github.com/acme/runbooks")
    assert gh.kind == "github"
    assert page_url(gh, "alerts/KubeJobFailed.md", "diagnosis", "Diagnosis", "0123abcd" * 5) == \
        f"https://github.com/acme/runbooks/blob/{'0123abcd' * 5}/alerts/KubeJobFailed.md#diagnosis"
    gl = detect_layout(tmp_path, "https://gitlab.example.test/sre/runbooks/", layout="auto")
    assert gl.kind == "gitlab"
    assert page_url(gl, "a b.md", None, None, "c0ffee") == "https://gitlab.example.test/sre/runbooks/-/blob/c0ffee/a%20b.md"
    forced = detect_layout(tmp_path, "https://code.example.test/sre/runbooks", layout="gitlab")
    assert page_url(forced, "x.md", None, None, "abc") == "https://code.example.test/sre/runbooks/-/blob/abc/x.md"


def test_no_layout_fits(tmp_path):
    lay = detect_layout(tmp_path, "https://docs.example.test")
    assert lay.kind == "none" and page_url(lay, "runbooks/x.md") is None
    assert no_layout_notice(lay, "runbooks/x.md") == (
        "site.url is set but no site layout fits: no mkdocs.yml, Hugo or Middleman config found and site.url is not "
        "a GitHub/GitLab repository (set site.layout); links left out")


def test_ask_cites_runbook_url_for_alerts_and_notices_once_without_a_layout(tmp_path):
    root = make_shop(tmp_path / "shop", {"mkdocs.yml": None, "rbh.yaml": RBH_YAML.replace(
        "https://runbooks.example.test", "https://wiki.example.test")})
    index(root)
    free = ask_json(root, "redis evictions", "--top-k", "2", "--no-alert-lookup")
    assert [r["url"] for r in free["results"]] == [None, None]
    assert free["notices"].count("site.url is set but no site layout fits: no mkdocs.yml, Hugo or Middleman config "
                                 "found and site.url is not a GitHub/GitLab repository (set site.layout); links left out") == 1
    root2 = make_shop(tmp_path / "shop2", {"mkdocs.yml": None, "rbh.yaml": RBH_YAML.replace(
        "https://runbooks.example.test", "https://github.com/acme/shop")})
    index(root2)
    gh = ask_json(root2, "redis evictions", "--top-k", "1", "--no-alert-lookup")["results"][0]
    assert gh["url_source"] == "site" and gh["url"].startswith(f"https://github.com/acme/shop/blob/{gh['commit']}/runbooks/")


def test_middleman_layout_pages_and_index_pages(tmp_path):
    """A tech-docs (Middleman) site: `config.rb` beside `source/`; GOV.UK's developer docs and the two
    round-3/4 Middleman sites had no page URLs in answers, only a notice on every ask."""
    (tmp_path / "source" / "manual").mkdir(parents=True)
    (tmp_path / "config.rb").write_text('require "govuk_tech_docs"\n')
    lay = detect_layout(tmp_path, "https://docs.example.gov.uk/")
    assert lay.kind == "middleman"
    assert page_url(lay, "source/manual/clear-the-redis-cache.html.md", "steps") == (
        "https://docs.example.gov.uk/manual/clear-the-redis-cache.html#steps")
    assert page_url(lay, "source/manual/alerts/whitehall.html.md.erb") == "https://docs.example.gov.uk/manual/alerts/whitehall.html"
    assert page_url(lay, "source/kubernetes/fix-app/index.html.md") == "https://docs.example.gov.uk/kubernetes/fix-app/"
    assert page_url(lay, "source/index.html.md.erb") == "https://docs.example.gov.uk/"
    assert page_url(lay, "docs/outside.md") is None
    published = tmp_path / "moj"  # built by a publisher image: only config/tech-docs.yml in the repository
    (published / "source").mkdir(parents=True)
    (published / "config").mkdir()
    (published / "config" / "tech-docs.yml").write_text("host: https://runbooks.example.gov.uk\n")
    assert detect_layout(published, "https://runbooks.example.gov.uk/").kind == "middleman"


def test_hugo_multilingual_file_names(tmp_path):
    """kubermatic's pages are `_index.en.md`: their URL is the folder, not `.../_index.en/`."""
    (tmp_path / "content" / "kkp").mkdir(parents=True)
    (tmp_path / "config.toml").write_text('baseURL = "https://docs.example.com/"\n')
    lay = detect_layout(tmp_path, "https://docs.example.com/")
    assert lay.kind == "hugo"
    assert page_url(lay, "content/kkp/v2.29/references/crds/_index.en.md", "kubermaticsetting", "KubermaticSetting") == (
        "https://docs.example.com/kkp/v2.29/references/crds/#kubermaticsetting")
    assert page_url(lay, "content/kkp/upgrading.en.md") == "https://docs.example.com/kkp/upgrading/"
