"""The rule catalog: registration, documentation, and one data file of pass/fail cases per rule.

Each ``tests/rule_cases/<ID>.yaml`` has ``rule``, optional ``base_files`` (shared by its cases) and
``cases``; a case gives the repository's files (``files``, the last commit; ``history``, earlier
commits applied first), optional ``config`` (rbh.yaml), ``options`` (the rule's options), ``today``,
and the exact findings of that rule it expects (line, message fragment, suggestion ...). ``{c0}``,
``{c1}`` ... in expectations stand for the short sha of commit 0, 1 ... .

Each case's findings, rendered as ``rbh check`` prints them, are also compared with a snapshot, one
file per rule: ``tests/golden/rule_cases/<ID>.txt`` (``RBH_UPDATE_GOLDEN=1`` rewrites them; review
the diff). A change of wording, position or suggestion shows there line by line.
"""

from __future__ import annotations

import datetime as dt
import io
import pkgutil
import re
import types
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

import rbh.checks.rules as rules_pkg
from rbh.checks.engine import run_checks
from rbh.checks.formats import text as text_format
from rbh.checks.model import CheckResult, Severity
from rbh.checks.rule import NoOptions, Rule, register
from rbh.checks.rules import RULES, doc_sections
from checks_support import assert_golden_section, commit_history, write_files
from rbh.project import load_project

CASES_DIR = Path(__file__).parent / "rule_cases"


CASE_NAMES: dict[str, list[str]] = {}  # rule -> its case names, in file order (the snapshot's order)


def _load_cases():
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        base = data.get("base_files") or {}
        if isinstance(base, str):  # a shared platform in rule_cases/_base/<name>.yaml
            base = yaml.safe_load((CASES_DIR / "_base" / f"{base}.yaml").read_text(encoding="utf-8"))["files"]
        CASE_NAMES[data["rule"]] = [case["name"] for case in data["cases"]]
        for case in data["cases"]:
            out.append(pytest.param(data["rule"], base, case, id=f"{data['rule']}-{case['name']}"))
    return out


def test_every_rule_module_is_registered():
    modules = {name for _, name, _ in pkgutil.iter_modules(rules_pkg.__path__) if not name.startswith("_")}
    registered = {m.__name__.rsplit(".", 1)[-1] for m in RULES.values()}
    assert modules == registered
    assert len(RULES) >= 18


@pytest.mark.parametrize("rid", sorted(RULES))
def test_rule_module_contract(rid):
    module = RULES[rid]
    assert re.fullmatch(r"RBH\d{3}", module.ID) and module.ID == rid
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", module.NAME)
    assert isinstance(module.SEVERITY, Severity)
    assert issubclass(module.Options, BaseModel) and module.Options.model_config.get("extra") == "forbid"
    sections = doc_sections(module)
    for heading in ("What it does", "Why it matters", "Example"):
        assert sections.get(heading), f"{rid}: docstring lacks a '## {heading}' section"
    assert callable(module.check)


def _fake_rule(**overrides):
    module = types.ModuleType("rbh_fake_rule")
    module.__doc__ = "Fake: a rule for the registry tests.\n\n## What it does\nx\n\n## Why it matters\ny\n\n## Example\nz\n"
    module.ID, module.NAME, module.SEVERITY, module.Options = "RBH999", "fake-rule", Severity.info, NoOptions
    module.check = lambda ctx: iter(())
    for key, value in overrides.items():
        setattr(module, key, value)
    return module


def test_register_checks_the_rule_contract_when_the_catalog_loads():
    good = _fake_rule()
    assert register(good) == {"RBH999": good} and isinstance(good, Rule)
    assert all(isinstance(m, Rule) for m in RULES.values())

    class Loose(BaseModel):  # unknown option keys would be silently ignored
        x: int = 1

    broken = [
        (_fake_rule(ID="R1"), "ID 'R1' is not RBH and three digits"),
        (_fake_rule(NAME="Fake Rule"), "NAME 'Fake Rule' is not kebab-case"),
        (_fake_rule(SEVERITY="error"), "SEVERITY 'error' is not a Severity"),
        (_fake_rule(Options=Loose), "Options is not a pydantic model that rejects unknown keys"),
        (_fake_rule(check=None), "check(ctx) is missing"),
        (_fake_rule(__doc__="Fake: no sections."), "the docstring has no '## What it does' section"),
    ]
    for module, message in broken:
        with pytest.raises(TypeError, match=re.escape(f"rule rbh_fake_rule: {message}")):
            register(module)
    with pytest.raises(TypeError, match="already registered"):
        register(good, _fake_rule(NAME="other-rule"))


def test_every_rule_has_a_case_file():
    assert {p.stem for p in CASES_DIR.glob("*.yaml")} == set(RULES)


def test_rule_names_are_unique():
    assert len({m.NAME for m in RULES.values()}) == len(RULES)


def _config(case: dict, rule: str) -> str | None:
    config = dict(case.get("config") or {})
    if "options" in case or "severity" in case:
        check = dict(config.get("check") or {})
        rules = dict(check.get("rules") or {})
        entry = {"options": case.get("options") or {}}
        if "severity" in case:
            entry["severity"] = case["severity"]
        rules[rule] = entry
        check["rules"] = rules
        config["check"] = check
    return yaml.safe_dump(config) if config else None


@pytest.mark.parametrize("rule,base_files,case", _load_cases())
def test_rule_case(tmp_path, rule, base_files, case):
    files = {**base_files, **(case.get("files") or {})}
    config = _config(case, rule)
    if config:
        files["rbh.yaml"] = config
    root = tmp_path / "repo"
    commits = [*(case.get("history") or []), files]
    if case.get("no_git"):
        write_files(root, files)
        shas: list[str] = []
    else:
        _, shas = commit_history(root, commits)
    for rel, content in (case.get("worktree") or {}).items():  # uncommitted changes
        write_files(root, {rel: content})
    project = load_project(root, require_git=not case.get("no_git"))
    today = case.get("today") or dt.date(2026, 6, 1)
    result = run_checks(project, today=today)
    got = [f for f in result.findings if f.rule == rule]
    subs = {f"c{i}": sha[:8] for i, sha in enumerate(shas)}

    def fill(value):
        return value.format(**subs) if isinstance(value, str) else value

    expected = case.get("expect") or []
    runbooks = sorted(p for p, content in files.items() if p.endswith(".md") and content is not None)
    default_path = runbooks[0] if len(runbooks) == 1 else None
    summary = [f"{f.path}:{f.line}:{f.column} {f.severity} {f.message} | {f.suggestion} | {f.suggestion_source}" for f in got]
    assert len(got) == len(expected), "\n".join(summary)
    for finding, exp in zip(got, expected):
        assert finding.path == fill(exp.get("path", default_path)), summary
        assert finding.line == exp["line"], summary
        if "column" in exp:
            assert finding.column == exp["column"], summary
        assert fill(exp["message"]) in finding.message, summary
        if "suggestion" in exp:
            assert finding.suggestion == fill(exp["suggestion"]), summary
        if "suggestion_source" in exp:
            assert finding.suggestion_source == fill(exp["suggestion_source"]), summary
        assert str(finding.severity) == exp.get("severity", str(RULES[rule].SEVERITY)), summary
    assert_golden_section(f"rule_cases/{rule}.txt", case["name"], _rendered(got, subs), CASE_NAMES[rule])


def _rendered(findings, subs: dict[str, str]) -> str:
    """The finding lines of ``rbh check``'s text output, commit shas written back as ``{c0}`` ..."""
    out = io.StringIO()
    text_format.render(CheckResult(findings=list(findings)), out)
    lines = [ln for ln in out.getvalue().splitlines()[:-1] if ln]  # the last line is the summary
    text = "\n".join(lines) + "\n" if lines else "(no findings)\n"
    for key, short in subs.items():
        text = text.replace(short, "{" + key + "}")
    return text
