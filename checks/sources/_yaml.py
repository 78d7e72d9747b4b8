"""Safe YAML and JSON loading for manifests: line numbers kept, alias bombs and huge files bounded.

Every mapping comes back as a ``Node`` (a dict that remembers the line it started on and the line of
each key), so sources can point findings at the exact line of an alert or a container. Nothing here
raises for bad content: each file yields its documents plus ``FileProblem``s with a line.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from rbh.inventory import FileProblem
from rbh import yaml_load
from rbh.yaml_load import AliasBomb, FastSafeLoader, build

MAX_MANIFEST_BYTES = 5_000_000  # bigger manifest files are skipped with a warning
MAX_EXPANDED_NODES = yaml_load.MAX_NODES  # a document whose aliases expand beyond this is refused (billion laughs)
MAX_DEPTH = yaml_load.MAX_DEPTH
SURROGATE_MESSAGE = "a string holds a lone surrogate (a \\uD800-\\uDFFF escape), which no output can encode; replaced with U+FFFD"


# Markers of an unrendered Helm/Go template (Prometheus annotations use {{ $labels.x }} legitimately),
# matched at the start of an action or after whitespace inside it.
_HELM_MARKER = re.compile(r"(?:^|\s)(?:\.Values|\.Release|\.Chart|\.Capabilities|\.Files|include\s+\"|template\s+\"|toYaml|tpl\s|define\s+\"|nindent\s)")
# Characters of one action looked at: real Helm markers sit near its start; a bound keeps the scan
# linear on hostile input (an unclosed "{{ " followed by 80 KB of words made the old regex quadratic).
MAX_ACTION_SCAN = 1000
_TEMPLATE_LINE = re.compile(r"^[ \t]*\{\{", re.M)  # [ \t], not \s: \s* would run over blank lines from every line start
# a Terraform templatefile() directive on its own line (`%{ for app in apps ~}`): YAML cannot read it
_TERRAFORM_DIRECTIVE = re.compile(r"^[ \t]*%\{", re.M)
# source formats that make manifests but are none: the file named in manifests.include is skipped
# with one warning that says what it is, instead of a YAML error per line it trips on
_SOURCE_FORMATS = {".tf": "Terraform configuration (HCL)", ".tfvars": "Terraform variables (HCL)",
                   ".hcl": "HCL configuration", ".jsonnet": "Jsonnet source", ".libsonnet": "Jsonnet library",
                   ".cue": "CUE source"}  # these render manifests
_PROGRAM_FORMATS = {".ts": "TypeScript source", ".js": "JavaScript source", ".mjs": "JavaScript source",
                    ".py": "Python source", ".go": "Go source", ".rb": "Ruby source", ".sh": "shell script",
                    ".md": "markdown"}


class Node(dict):
    """A YAML mapping with the 1-based line where it starts and the line of each key."""

    __slots__ = ("line", "key_lines")

    def __init__(self, *args: Any, line: int = 1, key_lines: dict[str, int] | None = None):
        super().__init__(*args)
        self.line = line
        self.key_lines = key_lines or {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True)
class Document:
    path: str
    index: int  # position in a multi-document file
    line: int
    data: Any


@dataclass
class ParsedFile:
    path: str
    documents: list[Document] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    skipped: bool = False


class _LineConstructor(FastSafeLoader):
    pass


# Manifests never need datetime objects; strings keep JSON output and comparisons simple.
_LineConstructor.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def mapping(value: Any) -> dict:
    """*value* when it is a mapping, else an empty dict (a manifest field of the wrong type reads as absent)."""
    return value if isinstance(value, dict) else {}


def _node_for(mapping: yaml.MappingNode) -> Node:
    return Node(line=mapping.start_mark.line + 1,
                key_lines={k.value: k.start_mark.line + 1 for k, _ in mapping.value if isinstance(k, yaml.ScalarNode)})


_ALERTMANAGER_CONFIG = re.compile(r"^route:[ \t]*(?:#.*)?$", re.M)
_RECEIVERS = re.compile(r"^receivers:[ \t]*(?:#.*)?$", re.M)


def looks_like_helm_template(text: str) -> int | None:
    """Line of the first unrendered Helm construct, or None.

    Each ``{{`` is looked at up to the next ``}``, the next ``{{`` or ``MAX_ACTION_SCAN`` characters,
    whichever comes first, so every character is scanned a bounded number of times."""
    pos = text.find("{{")
    n = len(text)
    while pos >= 0:
        nxt = text.find("{{", pos + 2)
        limit = min(nxt if nxt >= 0 else n, pos + 2 + MAX_ACTION_SCAN)
        close = text.find("}", pos + 2, limit)
        inner = text[pos + 2 : close if close >= 0 else limit]
        if _HELM_MARKER.search(inner.removeprefix("-").lstrip()):
            return text.count("\n", 0, pos) + 1
        pos = nxt
    return None


def _yaml_error(path: str, exc: yaml.YAMLError) -> FileProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return FileProblem(path, line, f"not valid YAML: {problem}")


MAX_ESCAPE_FIXES = 50


def _parse_yaml(path: str, text: str) -> ParsedFile:
    """Parse, reading non-standard backslash escapes in double-quoted strings leniently
    (``\\'`` as ``'``, others kept literally) with a warning: Go-based tooling often accepts them."""
    fixed_lines: list[int] = []
    for _ in range(MAX_ESCAPE_FIXES + 1):
        out, bad_escape = _parse_yaml_once(path, text)
        if bad_escape is None or len(fixed_lines) >= MAX_ESCAPE_FIXES:
            break
        i = bad_escape if text[bad_escape : bad_escape + 1] == "\\" else bad_escape - 1
        if i < 0 or text[i : i + 1] != "\\":
            break
        fixed_lines.append(text.count("\n", 0, i) + 1)
        text = text[:i] + ("'" if text[i + 1 : i + 2] == "'" else "\\\\") + text[i + 1 + (text[i + 1 : i + 2] == "'"):]
    for line in sorted(set(fixed_lines)):
        out.problems.append(FileProblem(path, line, "non-standard backslash escape in a double-quoted string (not valid YAML); read leniently", "warning", "escape"))
    return out


def _parse_yaml_once(path: str, text: str) -> tuple[ParsedFile, int | None]:
    out = ParsedFile(path)
    bad_escape = None
    loader = _LineConstructor(text)
    index = 0
    surrogates: list[int] | None = [] if yaml_load.may_hold_surrogates(text) else None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            line = node.start_mark.line + 1
            data = None
            try:
                data = build(loader, node, max_nodes=MAX_EXPANDED_NODES, max_depth=MAX_DEPTH, mapping=_node_for,
                             strict_keys=False, surrogates=surrogates)
            except AliasBomb:
                out.problems.append(FileProblem(path, line, f"document {index + 1} expands to more than {MAX_EXPANDED_NODES:,} nodes through YAML aliases (alias bomb?): skipped"))
            except RecursionError:
                out.problems.append(FileProblem(path, line, f"document {index + 1} is nested too deeply: skipped"))
            except yaml.YAMLError as exc:
                out.problems.append(_yaml_error(path, exc))
            if data is not None:
                out.documents.append(Document(path, index, line, data))
            index += 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "unknown escape" in str(getattr(exc, "problem", "")) and mark is not None:
            bad_escape = mark.index
        out.problems.append(_yaml_error(path, exc))
    except RecursionError:
        out.problems.append(FileProblem(path, 1, "nested too deeply to parse: skipped"))
    finally:
        loader.dispose()
    for line in sorted(set(surrogates or ())):
        out.problems.append(FileProblem(path, line, SURROGATE_MESSAGE, "warning", "encoding"))
    return out, bad_escape


def _json_to_nodes(value: Any, repaired: list[int] | None) -> Any:
    if isinstance(value, dict):
        return Node({_json_to_nodes(k, repaired): _json_to_nodes(v, repaired) for k, v in value.items()})
    if isinstance(value, list):
        return [_json_to_nodes(v, repaired) for v in value]
    if isinstance(value, str) and repaired is not None:
        fixed = yaml_load.repair_surrogates(value)
        if fixed != value:
            repaired.append(1)
        return fixed
    return value


def _parse_json(path: str, text: str) -> ParsedFile:
    out = ParsedFile(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        out.problems.append(FileProblem(path, exc.lineno, f"not valid JSON: {exc.msg}"))
        return out
    except RecursionError:
        out.problems.append(FileProblem(path, 1, "nested too deeply to parse: skipped"))
        return out
    repaired: list[int] | None = [] if yaml_load.may_hold_surrogates(text) else None
    out.documents.append(Document(path, 0, 1, _json_to_nodes(data, repaired)))
    if repaired:
        out.problems.append(FileProblem(path, 1, SURROGATE_MESSAGE, "warning", "encoding"))
    return out


_ENVSUBST = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")  # a shell variable envsubst replaces


def source_format(path: str) -> str | None:
    """What a file that renders manifests (Terraform, Jsonnet, CUE) is, by its extension; None otherwise."""
    return _SOURCE_FORMATS.get(posixpath.splitext(path.lower())[1])


@lru_cache(maxsize=8192)
def parse_file(path: str, data: bytes) -> ParsedFile:
    """Documents of one manifest file (YAML, multi-document, or JSON) and what was wrong with it."""
    if len(data) > MAX_MANIFEST_BYTES:
        return ParsedFile(path, problems=[FileProblem(path, 1, f"file is {len(data):,} bytes, over the {MAX_MANIFEST_BYTES:,}-byte manifest limit: skipped", "warning", "too-large")], skipped=True)
    if b"\x00" in data[:8192]:
        return ParsedFile(path, problems=[FileProblem(path, 1, "binary file, not a manifest: skipped", "warning", "binary")], skipped=True)
    ext = posixpath.splitext(path.lower())[1]
    if ext in _SOURCE_FORMATS or ext in _PROGRAM_FORMATS:
        advice = ("check the YAML it renders instead, or leave it out of manifests.include" if ext in _SOURCE_FORMATS
                  else "leave it out of manifests.include")
        kind = _SOURCE_FORMATS.get(ext) or _PROGRAM_FORMATS[ext]
        return ParsedFile(path, problems=[FileProblem(path, 1, f"{kind}, not a manifest format rbh reads: skipped; {advice}",
                                                      "warning", "format")], skipped=True)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ParsedFile(path, problems=[FileProblem(path, line, "not valid UTF-8: skipped", "error", "encoding")], skipped=True)
    # an Alertmanager config (top-level `route:` and `receivers:`) renders its own Go templates
    # (`message: '{{ template "telegram.default" . }}'`): they are not Helm's
    helm_line = None if _ALERTMANAGER_CONFIG.search(text) and _RECEIVERS.search(text) else looks_like_helm_template(text)
    if helm_line is not None:
        return ParsedFile(path, problems=[FileProblem(path, helm_line, "unrendered Helm template ({{ ... }}): skipped; check the output of 'helm template' instead", "warning", "template")], skipped=True)
    if path.lower().endswith(".json"):
        return _parse_json(path, text)
    parsed = _parse_yaml(path, text)
    if parsed.problems and not parsed.documents:
        m = _TEMPLATE_LINE.search(text)
        if m:  # a template statement on its own line broke the YAML: an unrendered chart or kustomize input
            line = text.count("\n", 0, m.start()) + 1
            return ParsedFile(path, problems=[FileProblem(path, line, "unrendered template ({{ ... }}): skipped; check the rendered output instead", "warning", "template")], skipped=True)
        bad = text.split("\n")[parsed.problems[0].line - 1] if 0 < parsed.problems[0].line <= text.count("\n") + 1 else ""
        if _ENVSUBST.search(bad):  # `namespaces: [${WATCH_NAMESPACES}]`: envsubst (or sed) fills it before kubectl sees it
            return ParsedFile(path, problems=[FileProblem(path, parsed.problems[0].line, "unrendered template (${...} on the line the YAML breaks): skipped; check the rendered output instead", "warning", "template")], skipped=True)
        m = _TERRAFORM_DIRECTIVE.search(text)
        if m:  # `%{ for ... }` of a Terraform templatefile(): the rules exist only once rendered
            line = text.count("\n", 0, m.start()) + 1
            return ParsedFile(path, problems=[FileProblem(path, line, "unrendered Terraform template (%{ ... }): skipped; check the rendered output instead", "warning", "template")], skipped=True)
    return parsed


def claim_documents(files: dict[str, bytes], inv, source: str, accept, *, json_files: bool = False):
    """Documents of *files* that *accept* recognises, marked as claimed by *source* in *inv*."""
    for path, data in files.items():
        if path.lower().endswith(".json") and not json_files:
            continue
        for doc in parse_file(path, data).documents:
            if accept(doc.data):
                inv.claimed.add((path, doc.index))
                inv.sources_seen.add(source)
                yield doc


def clear_cache() -> None:
    parse_file.cache_clear()
