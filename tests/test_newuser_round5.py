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
