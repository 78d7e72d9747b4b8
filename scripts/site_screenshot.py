"""Screenshot the docs site's dashboard with its health-over-time chart for the README.

Builds the site of a temporary clone of this repository with the drift scenario committed on top
(scripts/drift.py), so the chart shows the example's own history and the drift at its end, then
photographs /health/ at 1280 px in headless Chromium (Debian's, as the browser tests use).

    python scripts/site_screenshot.py [OUT.png]    (default: docs/img/site-dashboard-trend.png)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]


def main(out: Path) -> None:
    import git

    import drift
    from site_support import chromium, serving

    with tempfile.TemporaryDirectory(prefix="rbh-shot-") as tmp:
        clone = Path(tmp) / "example"
        git.Repo.clone_from(str(ROOT), str(clone))
        with git.Repo(clone).config_writer() as cw:
            cw.set_value("user", "name", "Drift Scenario")
            cw.set_value("user", "email", "drift@example.com")
        drift.apply_drift(clone)
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        mkdocs = Path(sys.executable).with_name("mkdocs")
        subprocess.run([str(mkdocs), "build", "-q", "-f", str(clone / "mkdocs.yml")], cwd=clone, env=env, check=True)
        with serving(clone / "build" / "site") as url, chromium(Path(tmp) / "profile", width=1280, height=900) as new_page:
            page = new_page()
            page.goto(url + "health/")
            top = page.locator("article h1").bounding_box()["y"] - 16
            rows = page.locator("table[data-rbh-table] tbody tr")
            bottom = rows.nth(min(5, rows.count() - 1)).bounding_box()
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True,
                            clip={"x": 0, "y": top, "width": 1280, "height": bottom["y"] + bottom["height"] + 12 - top})
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "site-dashboard-trend.png")
