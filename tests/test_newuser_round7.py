"""Round 7 of the new-user trial (bench/README.md): an AKS platform run with Terraform
(DFE-Digital/teacher-services-cloud), the NAIS docs with Jinja partials and macros (nais/doc) and the
Rook Ceph documentation with its example manifests (rook/rook), each false error, wrong suggestion or
wrong answer reduced to a minimal reproduction in a real temporary git repository.
"""

from __future__ import annotations

from checks_support import commit_history
from newuser_support import check, found


def test_github_anchor_keeps_the_marks_of_a_keycap_emoji(tmp_path):
    """teacher-services-cloud `documentation/redis-migration.md`: a table of contents links
    `#1️⃣-azure-opens-the-migration-experience`, the anchor GitHub gives `##### 1️⃣ Azure opens ...`
    (GitHub keeps `\\p{Word}`, marks included: the variation selector and the enclosing keycap stay,
    the emoji symbol goes); `## ⚠️ Warning` is `#️-warning` (the selector stays). A heading
    that does not exist is still reported."""
    root = tmp_path / "tsc"
    commit_history(root, [{
        "documentation/redis-migration.md": "# Redis migration\n\n"
                                            "- [1️⃣ Azure opens the migration experience](#1️⃣-azure-opens-the-migration-experience)\n"
                                            "- [⚠️ Warning](#️-warning)\n"
                                            "- [wrong](#2️⃣-azure-opens-the-migration-experience)\n\n"
                                            "##### 1️⃣ Azure opens the migration experience\n\ntext\n\n"
                                            "## ⚠️ Warning\n\ntext\n",
    }])
    assert found(check(root)) == [
        ("RBH302", "documentation/redis-migration.md", 5,
         "anchor `#2️⃣-azure-opens-the-migration-experience` not found in `documentation/redis-migration.md`"),
    ]
