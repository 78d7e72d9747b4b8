"""Alert rules written as HCL objects in Terraform (``kubectl_manifest``/``kubernetes_manifest`` with
``yamlencode({ ... kind = "PrometheusRule" ... })``, a ``helm_release``'s values): each object with a
literal ``alert = "Name"`` is an alert, its ``labels = { ... }`` and ``annotations = { ... }`` objects
its labels and annotations (``runbook_url = "https://..."``), ``expr`` (which it must have) its
expression.

An adapter, not an HCL parser: no HCL library reads the argument of a function call such as
``yamlencode`` as data (python-hcl2 keeps it as one interpolated string), and the rules are only data.
The scanner skips strings, heredocs and comments, tracks braces, and keeps the ``key = "literal"``
attributes of each object. A value that holds an interpolation (``${var.runbook_base}/x.md``) is read
as a Go template wildcard (``{{ x }}``), so its base stays unknown as a template's does. Nothing else of
the file is read; the file keeps its RBH002 note that it is no manifest format.
"""

from __future__ import annotations

import re

from rbh.checks import promql
from rbh.inventory import Alert, Inventory, Location

NAME = "prometheus"
HCL_SUFFIXES = (".tf", ".hcl")

_KEY = re.compile(r'(?:"([^"\n]*)"|([A-Za-z_][\w.-]*))\s*=(?![=>])\s*')
_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_]\w*)[ \t]*\n")
_INTERP = re.compile(r"\$\{[^}\n]*\}")


class _Obj:
    __slots__ = ("key", "line", "attrs", "lines", "children", "keys")

    def __init__(self, key: str | None, line: int):
        self.key = key
        self.line = line
        self.attrs: dict[str, str] = {}
        self.lines: dict[str, int] = {}
        self.children: dict[str, _Obj] = {}
        self.keys: set[str] = set()  # every attribute written, literal or not


def _string_end(text: str, i: int) -> int:
    """Index after the closing quote of the string opening at *i* (or the line's end)."""
    j = i + 1
    while j < len(text) and text[j] not in '"\n':
        j += 2 if text[j] == "\\" else 1
    return j + 1 if j < len(text) and text[j] == '"' else j


def _unquote(s: str) -> str:
    return s.replace('\\"', '"').replace("\\\\", "\\")


def _template(value: str) -> str:
    """``${...}`` interpolations become Go-template wildcards (see ``rbh.runbook_urls``)."""
    return _INTERP.sub("{{ x }}", value)


def _objects(text: str) -> list[_Obj]:
    """Every object (``{ ... }``) of *text*, closed, in the order they close."""
    done: list[_Obj] = []
    stack: list[_Obj] = [_Obj(None, 1)]
    pending: tuple[str, int] | None = None  # a `key =` waiting for its value
    i, line, n = 0, 1, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
            continue
        if c in " \t\r,":
            i += 1
            continue
        if c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        if c == '"':
            j = _string_end(text, i)
            if pending:
                stack[-1].attrs[pending[0]] = _template(_unquote(text[i + 1:j - 1]))
                stack[-1].lines[pending[0]] = pending[1]
                pending = None
            else:
                m = _KEY.match(text, i)
                if m:
                    pending = (m.group(1), line)
                    stack[-1].keys.add(m.group(1))
                    j = m.end()
            i = j
            continue
        if text.startswith("<<", i):
            m = _HEREDOC.match(text, i)
            if m:
                end = re.compile(r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*$", re.M).search(text, m.end())
                stop = end.start() if end else n
                if pending:
                    body = text[m.end():stop]
                    stack[-1].attrs[pending[0]] = _template(body)
                    stack[-1].lines[pending[0]] = pending[1]
                    pending = None
                after = end.end() if end else n
                line += text.count("\n", i, after)
                i = after
                continue
        if c == "{":
            stack.append(_Obj(pending[0] if pending else None, line))
            pending = None
            i += 1
            continue
        if c == "}":
            pending = None
            if len(stack) > 1:
                obj = stack.pop()
                done.append(obj)
                if obj.key:
                    stack[-1].children[obj.key] = obj
            i += 1
            continue
        m = _KEY.match(text, i)
        if m and m.group(2):
            pending = (m.group(2), line)
            stack[-1].keys.add(m.group(2))
            i = m.end()
            continue
        pending = None  # a value that is no literal (a reference, a call, a number, a list)
        i += 1
        while i < n and text[i] not in '\n{}"[],()#':
            i += 1
    return done


def load(files: dict[str, bytes]) -> Inventory:
    """The alert rules of the Terraform/HCL files among *files*."""
    inv = Inventory()
    for path, data in files.items():
        if not path.lower().endswith(HCL_SUFFIXES) or b"alert" not in data:
            continue
        text = data.decode("utf-8", "replace")
        for obj in _objects(text):
            name = obj.attrs.get("alert")
            if not name or "{{" in name or "expr" not in obj.keys:
                continue  # a rule has its expression; `alert = "..."` alone may be any setting
            ann = obj.children.get("annotations")
            labels = obj.children.get("labels")
            expr = obj.attrs.get("expr", "")
            inv.alerts.append(Alert(name, Location(path, obj.lines["alert"]), expr,
                                    dict(labels.attrs) if labels else {}, dict(ann.attrs) if ann else {},
                                    "", dict(ann.lines) if ann else {}))
            inv.sources_seen.add(NAME)
            for metric in promql.metric_names(expr):
                inv.metrics_used.setdefault(metric, []).append(Location(path, obj.lines.get("expr", obj.lines["alert"])))
    return inv
