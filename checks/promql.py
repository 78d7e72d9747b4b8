"""Names in a PromQL expression: metric names, and alert names selected through ``ALERTS{alertname=...}``.

A small lexer rather than a full parser: strings, label matchers, grouping clauses, range and
offset durations are cut out, then what is left that is not a function, keyword or number is a
metric name. It never raises, whatever the input.
"""

from __future__ import annotations

import re

from rbh.gotemplate import replace_actions

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
    "inf", "nan", "atan2", "start", "end", "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
    "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio", "if", "else", "true", "false",
}
ALERT_SERIES = {"ALERTS", "ALERTS_FOR_STATE"}

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{([^{}]*)\}")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)", re.I)
_RANGE = re.compile(r"\[[^\]]*\]")
_IDENT = re.compile(r"(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])")
_DURATION = re.compile(r"^\d")
_NAME_MATCHER = re.compile(r"__name__\s*=\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\"")
_ALERTNAME = re.compile(r"alertname\s*=~?\s*\"([^\"]+)\"")
_COMMENT = re.compile(r"#[^\n]*")


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group(0))


def extract(expr: str, max_chars: int = 100_000) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(metrics, alerts) in *expr*, each as (name, character offset), in order of appearance."""
    text = str(expr)[:max_chars]
    text = replace_actions(text, lambda action: " " * len(action))  # linear (rbh.gotemplate)
    text = _COMMENT.sub(_blank, text)
    alerts: list[tuple[str, int]] = []
    metrics: list[tuple[str, int]] = []
    # Matchers first (on the raw text, strings still inside): __name__ and alertname values.
    for m in _MATCHERS.finditer(text):
        body = m.group(1)
        for nm in _NAME_MATCHER.finditer(body):
            metrics.append((nm.group(1), m.start(1) + nm.start(1)))
        before = text[: m.start()].rstrip()
        if re.search(r"\bALERTS(?:_FOR_STATE)?$", before):
            for am in _ALERTNAME.finditer(body):
                for name in re.split(r"\|", am.group(1)):
                    if re.fullmatch(r"[A-Za-z_][\w:]*", name):
                        alerts.append((name, m.start(1) + am.start(1)))
    stripped = _STRING.sub(_blank, text)
    stripped = _MATCHERS.sub(_blank, stripped)
    for _ in range(3):
        stripped = _GROUPING.sub(_blank, stripped)
    stripped = _RANGE.sub(_blank, stripped)
    for m in _IDENT.finditer(stripped):
        name = m.group(1)
        if name.lower() in KEYWORDS or name in ALERT_SERIES:
            continue
        rest = stripped[m.end():].lstrip()
        if rest.startswith("("):
            continue  # a function call
        before = stripped[: m.start()].rstrip()
        if before.endswith(("offset", "@")) or _DURATION.match(name):
            continue
        metrics.append((name, m.start()))
    metrics.sort(key=lambda x: x[1])
    return metrics, alerts


def metric_names(expr: str) -> list[str]:
    seen: dict[str, None] = {}
    for name, _ in extract(expr)[0]:
        seen.setdefault(name, None)
    return list(seen)
