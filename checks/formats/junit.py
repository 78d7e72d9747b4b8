"""JUnit XML: for CI systems that show test reports (GitLab merge requests, Jenkins, Azure DevOps).

One ``<testsuite>`` per file, one failing ``<testcase>`` per active finding, a ``<skipped>`` test
case per suppressed finding, and one passing test case per checked runbook that has no finding, so
the report reads "24 tests, 2 failures" rather than listing only problems. No timestamps or host
names: the same result gives the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TextIO

from rbh.checks.model import CheckResult, Finding
from rbh.textsafe import inert_xml, one_line

# XML 1.0 cannot carry most control characters, even escaped; rbh.textsafe has already turned them
# (and lone surrogates) into visible escapes, this catches the two non-characters it leaves.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: str) -> str:
    """One line of untrusted text for an XML attribute: controls as visible escapes, valid XML."""
    return _INVALID_XML.sub("\ufffd", one_line(text))


def _case_name(f: Finding) -> str:
    return f"{f.rule} {f.name} (line {f.line})"


def _details(f: Finding) -> str:
    """Several lines, each of one field: a newline inside a field shows as ``\\n`` (``_clean``)."""
    lines = [_clean(f"{f.path}:{f.line}:{f.column}: {f.severity}: {f.message}")]
    if f.suggestion:
        source = f" ({f.suggestion_source})" if getattr(f, "suggestion_source", None) else ""
        lines.append(_clean(f"did you mean: {f.suggestion}{source}"))
    if f.reference:
        lines.append(_clean(f"reference: {f.reference}"))
    lines.append(f"rule: {f.rule} {f.name} (rbh explain {f.rule})")
    return "\n".join(lines)


def to_xml(result: CheckResult) -> ET.Element:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_file[f.path].append(f)
    clean_files = sorted({rb.path for rb in (result.runbooks or [])} - set(by_file))
    root = ET.Element("testsuites", name="rbh check")
    total = failures = skipped = 0
    for path in sorted(set(by_file) | set(clean_files)):
        findings = sorted(by_file.get(path, []), key=lambda f: (f.line, f.column, f.rule))
        suite = ET.SubElement(root, "testsuite", name=_clean(path))
        n_fail = n_skip = 0
        for f in findings:
            case = ET.SubElement(suite, "testcase", name=_clean(_case_name(f)), classname=_clean(path), file=_clean(path), line=str(f.line))
            if f.suppressed:
                reason = f"suppressed ({f.suppressed})" + (f": {f.suppression_reason}" if f.suppression_reason else "")
                ET.SubElement(case, "skipped", message=_clean(reason))
                n_skip += 1
            else:
                fail = ET.SubElement(case, "failure", message=_clean(f.message), type=f"{f.rule} {f.severity}")
                fail.text = _details(f)
                n_fail += 1
        if not findings:
            ET.SubElement(suite, "testcase", name="no findings", classname=_clean(path), file=_clean(path))
        n = max(1, len(findings))
        suite.set("tests", str(n))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        suite.set("skipped", str(n_skip))
        total += n
        failures += n_fail
        skipped += n_skip
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("skipped", str(skipped))
    return root


def render(result: CheckResult, out: TextIO, *, color: bool = False) -> None:
    """Write *result* as JUnit XML (``color`` is ignored)."""
    root = to_xml(result)
    ET.indent(root, space="  ")
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(inert_xml(ET.tostring(root, encoding="unicode")))  # see rbh.textsafe.inert_json
    out.write("\n")
