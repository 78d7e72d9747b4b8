"""The Jinja environment the site's HTML is rendered through: a team's theme first, our defaults after.

Templates live in ``rbh-health/`` (``banner.html``, ``dashboard.html``, ``alerts.html``, ``trend.html``,
``macros.html``, and the generated pages' markdown ``health.md``, ``alerts.md``, ``checks.md``), shipped
in this package under ``templates/``. The MkDocs plugin looks them up in the
theme's folders first (``theme.custom_dir``, then the theme's own), like MkDocs looks up the theme's
templates, so a team restyles a banner by putting ``rbh-health/banner.html`` in its ``custom_dir``. Our
defaults stay reachable as ``rbh-health-default/<name>`` for an override that ``{% extends %}`` one
and replaces a block.

Autoescape is on, and every ``{{ value }}`` is escaped by :func:`html.escape` (``finalize``), exactly as
the HTML was escaped before it came from templates: runbook text (titles, owners, messages, URLs) is
untrusted. Only values that already are markup (``Markup``, a macro's output) pass as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from functools import lru_cache
from html import escape
from os import PathLike
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

TEMPLATE_DIR = "rbh-health"  # where a theme's custom_dir puts its overrides
DEFAULT_PREFIX = "rbh-health-default"  # our own templates, whatever a theme overrides

_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def text(value: object) -> Markup:
    """Untrusted text as HTML, with `code spans` kept as <code> (the ``rbh_text`` filter)."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", escape(str(value), quote=True)))


def _escaped(value: Any) -> Any:
    """``finalize``: every printed value escaped as :func:`html.escape` does (``&quot;``/``&#x27;``), so
    the pages are byte for byte what they were before templates; markup passes through."""
    if hasattr(value, "__html__"):
        return value
    return Markup(escape(str(value), quote=True))


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    """A date as ``YYYY-MM-DD`` ("" for none; a datetime's date)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def short_url(url: str, limit: int = 60) -> str:
    """A dashboard URL as a readable label: no scheme, long paths cut."""
    label = re.sub(r"^https?://", "", url.strip())
    return label if len(label) <= limit else label[: limit - 1] + "…"


# The site's vocabulary: what the templates and the renderer (site_render) both name. It lives here,
# below the renderer, so the templates' helpers need no import of it.
STATUS_ORDER = {"error": 0, "warning": 1, "known": 2, "unknown": 3, "healthy": 4}
STATUS_LABEL = {"error": "Stale", "warning": "Warnings", "known": "Known issues", "unknown": "Health unknown",
                "healthy": "Healthy"}

ALERT_STATE_ORDER = {"no-runbook": 0, "broken-url": 1, "no-url": 2, "undefined": 3, "external": 4, "ok": 5}
ALERT_STATE_LABEL = {
    "undefined": "No alert rule by this name",
    "external": "External runbook, not checked",
    "no-runbook": "No runbook",
    "broken-url": "runbook_url does not resolve",
    "no-url": "No runbook_url annotation",
    "ok": "OK",
}


def safe_href(url: str | None) -> str | None:
    """*url* when it is an absolute http(s) URL (front matter is untrusted: no ``javascript:``)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def alert_anchor(name: str) -> str:
    """The element id of an alert in the alert index (alert names are ``[a-zA-Z_:][a-zA-Z0-9_:]*``)."""
    return "alert-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)



class SiteTemplates:
    """The site's templates, looked up in *search_dirs* (a theme's folders, first match wins), then ours."""

    def __init__(self, search_dirs: Iterable[str | PathLike[str]] = ()) -> None:
        ours = jinja2.PackageLoader("rbh.checks", "templates")
        self.search_dirs = [str(d) for d in search_dirs]
        loaders: list[jinja2.BaseLoader] = []
        if self.search_dirs:
            loaders.append(jinja2.FileSystemLoader(self.search_dirs))
        loaders += [ours, jinja2.PrefixLoader({DEFAULT_PREFIX: jinja2.PackageLoader("rbh.checks", f"templates/{TEMPLATE_DIR}")})]
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            finalize=_escaped,
            trim_blocks=True,  # a line holding only {% ... %} leaves no blank line
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["rbh_text"] = text
        self.env.globals.update(self._helpers())

    @staticmethod
    def _helpers() -> dict[str, Any]:
        from rbh.runbook import slugify

        return {
            "date": fmt_date,
            "plural": plural,
            "short_url": short_url,
            "safe_href": safe_href,
            "alert_anchor": alert_anchor,
            "slugify": slugify,
            "status_labels": STATUS_LABEL,
            "status_order": STATUS_ORDER,
            "alert_state_labels": ALERT_STATE_LABEL,
            "alert_state_order": ALERT_STATE_ORDER,
        }

    def render(self, name: str, **context: Any) -> str:
        """``rbh-health/<name>`` rendered with *context*."""
        return self.env.get_template(f"{TEMPLATE_DIR}/{name}").render(**context)

    def source(self, name: str) -> str | None:
        """Where ``rbh-health/<name>`` comes from (a file path), for the build log."""
        try:
            return self.env.get_template(f"{TEMPLATE_DIR}/{name}").filename
        except jinja2.TemplateNotFound:
            return None


@lru_cache(maxsize=1)
def default_templates() -> SiteTemplates:
    """Our templates alone (no theme): what the render functions use when given none."""
    return SiteTemplates()
