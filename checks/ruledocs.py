"""Rule metadata for people and tools: the catalog behind ``rbh rules``, ``rbh explain`` and SARIF.

Everything here is read from the rule registry (``checks.rules``): a rule's module docstring is its
documentation (first line: the summary; sections *What it does*, *Why it matters*, *Example*), and
``ID``, ``NAME``, ``SEVERITY`` and ``Options`` are its machine-readable facts. Nothing is written
twice, so the SARIF rule descriptions, the CLI and the docs site cannot drift apart.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from rbh.checks.model import Severity
from rbh.checks.rule import Rule, split_sections
from rbh.errors import RbhError

@dataclass(frozen=True)
class RuleOption:
    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class RuleDoc:
    """What a person (or SARIF viewer) needs to know about one rule."""

    id: str
    name: str
    severity: Severity
    summary: str
    doc: str  # the whole docstring, dedented
    sections: dict[str, str] = field(default_factory=dict)
    options: tuple[RuleOption, ...] = ()

    @property
    def what(self) -> str:
        return self.sections.get("What it does", "") or self.summary

    @property
    def why(self) -> str:
        return self.sections.get("Why it matters", "")

    @property
    def example(self) -> str:
        return self.sections.get("Example", "")


class UnknownRuleError(RbhError):
    """``rbh explain`` was given an ID or name that no rule has (a usage error, exit 2)."""


def registry() -> list[Rule]:
    """Rule modules from the registry ``checks.rules.RULES``, ordered by ID."""
    from rbh.checks.rules import RULES

    return sorted(RULES.values(), key=lambda m: m.ID)


def _options(module: Rule | ModuleType) -> tuple[RuleOption, ...]:
    model = getattr(module, "Options", None)
    fields = getattr(model, "model_fields", None)
    if not fields:
        return ()
    out = []
    for name, info in fields.items():
        default = info.get_default(call_default_factory=True) if hasattr(info, "get_default") else info.default
        out.append(RuleOption(name, default, info.description or ""))
    return tuple(out)


def describe(module: Rule | ModuleType) -> RuleDoc:
    doc = inspect.cleandoc(module.__doc__ or "")
    summary, sections = split_sections(doc)
    return RuleDoc(
        id=module.ID,
        name=module.NAME,
        severity=Severity.parse(module.SEVERITY),
        summary=summary,
        doc=doc,
        sections=sections,
        options=_options(module),
    )


def all_docs() -> list[RuleDoc]:
    return [describe(m) for m in registry()]


def find(key: str, docs: list[RuleDoc] | None = None) -> RuleDoc:
    """The rule whose ID or name is *key* (case-insensitive); UnknownRuleError with a suggestion otherwise."""
    docs = all_docs() if docs is None else docs
    wanted = key.strip().lower()
    for d in docs:
        if wanted in (d.id.lower(), d.name.lower()):
            return d
    choices = {d.id.lower(): d.id for d in docs} | {d.name.lower(): d.name for d in docs}
    close = difflib.get_close_matches(wanted, list(choices), n=1, cutoff=0.6)
    hint = f"; did you mean {choices[close[0]]}?" if close else "; 'rbh rules' lists them all"
    raise UnknownRuleError(f"unknown rule '{key}'{hint}")


def explain_text(d: RuleDoc) -> str:
    """What ``rbh explain`` prints: a header line, the docstring, the options and how to configure them."""
    out = [f"{d.id} {d.name} (default severity: {d.severity})", "", d.doc.strip()]
    if d.options:
        out += ["", "Options (rbh.yaml, check.rules." + d.id + ".options):"]
        for o in d.options:
            desc = f"  # {o.description}" if o.description else ""
            out.append(f"  {o.name}: {json.dumps(o.default, default=str)}{desc}")
    out += [
        "",
        "Configure or silence it:",
        f"  rbh.yaml:      check: {{rules: {{{d.id}: {{severity: warning}}}}}}  (or {{enabled: false}})",
        f'  in a runbook:  <!-- rbh: disable {d.id} reason="..." -->',
    ]
    return "\n".join(out) + "\n"


def catalog_markdown(docs: list[RuleDoc] | None = None) -> str:
    """Every rule's documentation as one markdown page (the docs site's "Checks" page).

    Each rule is a ``## RBH101 unknown-workload`` section (anchor ``#rbh101-unknown-workload`` with
    MkDocs' default slugs, no extension needed), so banners and reports can link straight to it; the
    rule's own ``##`` sections become ``###``.
    """
    docs = all_docs() if docs is None else docs
    out = ["# Checks", "",
           "Every check `rbh check` runs, with what it detects, why it matters and an example. "
           "`rbh explain ID` prints the same text in a terminal.", "",
           "| ID | Name | Default severity | Summary |", "|---|---|---|---|"]
    out += [f"| [{d.id}](#{rule_anchor(d)}) | `{d.name}` | {d.severity} | {d.summary} |" for d in docs]
    for d in docs:
        body = re.sub(r"(?m)^## ", "### ", d.doc.strip())
        out += ["", f"## {d.id} {d.name}", "", f"Default severity: **{d.severity}**.", "", body]
        if d.options:
            out += ["", f"Options (`rbh.yaml`, `check.rules.{d.id}.options`):", ""]
            out += [f"- `{o.name}` (default `{json.dumps(o.default, default=str)}`){': ' + o.description if o.description else ''}"
                    for o in d.options]
    return "\n".join(out) + "\n"


def rule_anchor(d: RuleDoc) -> str:
    """The heading anchor of a rule's section on the Checks page."""
    from rbh.runbook import slugify

    return slugify(f"{d.id} {d.name}")
