"""Round 11 of the new-user trial (bench/README.md): a community's infrastructure docs with its
compose stacks (openfoodfacts/openfoodfacts-infrastructure) and a monitoring chart whose alert rules
link the chart's own runbooks (coder/observability), each false error (or missed stale page) reduced
to a minimal reproduction in a real temporary git repository (names and text as on those pages,
shortened; both repositories are under the AGPL-3.0 and Apache-2.0 licences, see the round's section
of bench/README.md).
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found

OFF_CONFIG = 'runbooks:\n  include: ["docs/**/*.md"]\nmanifests:\n  include: ["docker/**/*.yml"]\n'


def test_a_link_in_an_html_comment_is_no_link(tmp_path):
    """openfoodfacts-infrastructure: `docs/index.md` lists the datacenter pages with one entry left
    for later, `<!--  TODO - [OVH Servers](./ovh-servers.md) -->`. A comment renders nothing: the
    link is no link a reader can follow. The same link outside the comment, or after it on the same
    line, is checked; an opener inside a code span is text."""
    root = tmp_path / "off"
    commit_history(root, [{
        "rbh.yaml": OFF_CONFIG,
        "docs/free-datacenter.md": "# Free\n",
        "docs/index.md":
            "# Servers\n\n- [Free Datacenter](./free-datacenter.md)\n<!--  TODO - [OVH Servers](./ovh-servers.md) -->\n"
            "- [Moji](./moji.md) <!-- [x](./x.md) --> [Scaleway](./scaleway.md)\n\n"
            "Write `<!-- [a](./a.md)` then `-->` around it.\n",
    }])
    assert found(check(root)) == [
        ("RBH301", "docs/index.md", 5, "link target `./moji.md` does not exist"),
        ("RBH301", "docs/index.md", 5, "link target `./scaleway.md` does not exist"),
    ]
