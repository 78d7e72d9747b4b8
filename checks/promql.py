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


# --------------------------------------------------------------------------------------------
# Recognising PromQL by content (untagged, ``text``, ``sh`` and ``console`` fences, inline code)

FUNCTIONS = {
    "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time", "ceil",
    "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month", "day_of_week",
    "day_of_year", "days_in_month", "deg", "delta", "deriv", "exp", "floor", "histogram_avg", "histogram_count",
    "histogram_fraction", "histogram_quantile", "histogram_stddev", "histogram_stdvar", "histogram_sum", "holt_winters",
    "double_exponential_smoothing", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "last_over_time",
    "ln", "log10", "log2", "mad_over_time", "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear",
    "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort",
    "sort_desc", "sort_by_label", "sort_by_label_desc", "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time",
    "tan", "tanh", "time", "timestamp", "vector", "year",
}
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
                "quantile", "limitk", "limit_ratio"}
_Q_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_Q_BRACES = re.compile(r"\{[^{}\n]*\}")
_Q_RANGE = re.compile(r"\[\s*\d+[smhdwy](?:\d+[smhdwy])*(?:\s*:\s*(?:\d+[smhdwy])*)?\s*\]")
_Q_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.I)
_Q_MATCHERS = re.compile(r"\{\s*(?:[A-Za-z_]\w*\s*(?:=~|!~|!=|=)\s*,?\s*)*\}")
_Q_BINARY = re.compile(r"(?:==|!=|>=|<=|\s[<>/*+%^-]\s)")
_Q_ALLOWED = re.compile(r"^[\w\s(),.:+\-*/%^<>=!@\[\]]*$")
_Q_IDENT = re.compile(r"[A-Za-z_:][\w:]*")
# A line that is a shell command or a YAML mapping is never PromQL, whatever else it contains.
_SHELL_LINE = re.compile(
    r"^\s*(?:\$|#\s*\w+\s+-|sudo\b|kubectl\b|oc\b|curl\b|wget\b|echo\b|export\b|cd\b|ls\b|cat\b|grep\b|helm\b|docker\b|"
    r"podman\b|systemctl\b|journalctl\b|ssh\b|for\b|if\b|while\b|then\b|do\b|done\b|fi\b|watch\b|jq\b|awk\b|sed\b|"
    r"promtool\b|amtool\b|git\b|make\b|python\d?\b|pip\b|rm\b|mv\b|cp\b|mkdir\b|[A-Z_][A-Z0-9_]*=)")
_YAML_LINE = re.compile(r"^\s*(?:-\s+)?[\w.\-/\"']+\s*:(?:\s|$)|^\s*-\s|^\s*---\s*$")
_WORD_OK = {"up", "ALERTS", "ALERTS_FOR_STATE", "inf", "nan", "bool", "and", "or", "unless", "offset", "by", "without",
            "on", "ignoring", "group_left", "group_right", "e", "s", "m", "h", "d", "w", "y", "ms"}


def looks_like_query(text: str) -> bool:
    """Whether *text* (a code block's paragraph or an inline code span) is a PromQL expression.

    The precision guard: a shell command, a YAML mapping, a log line or prose never passes. Every line
    must be free of shell and YAML shapes; outside strings and ``{...}`` matchers only PromQL's
    characters may appear; every bare word must be a function, an aggregation, a keyword or
    metric-shaped (``_`` or ``:`` inside, or followed by a selector or range); and there must be
    a PromQL signal: a call of a PromQL function or aggregation, a selector or a range.
    """
    text = text.strip()
    if not text or len(text) > 5000:
        return False
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return False
    for ln in lines:
        if _SHELL_LINE.match(ln) or _YAML_LINE.match(ln) or "://" in ln or "&&" in ln or "||" in ln or ";" in ln:
            return False
    body = " ".join(lines)
    signal = bool(_Q_BRACES.search(body) or _Q_RANGE.search(body))
    stripped = _Q_STRING.sub(" ", body)
    if stripped.count("{") != stripped.count("}") or stripped.count("(") != stripped.count(")"):
        return False
    selector_names = set()
    for m in re.finditer(r"([A-Za-z_:][\w:]*)?\s*(\{[^{}\n]*\})", stripped):
        if m.group(1):
            selector_names.add(m.group(1))
        if not _Q_MATCHERS.fullmatch(m.group(2)):
            return False  # JSON, a Go template or a shell brace expansion, not label matchers
    rest = _Q_BRACES.sub(" ", stripped)
    rest = _Q_RANGE.sub(" ", rest)
    for _ in range(3):
        rest = _Q_GROUPING.sub(" ", rest)
    if not _Q_ALLOWED.match(rest):
        return False
    calls, metric_words = 0, 0
    for m in _Q_IDENT.finditer(rest):
        word = m.group(0)
        after = rest[m.end():].lstrip()
        low = word.lower()
        if after.startswith("("):
            if low in FUNCTIONS or low in AGGREGATIONS:
                calls += 1
                continue
            return False  # a call of something PromQL does not have: code or prose
        if low in AGGREGATIONS and re.match(r"(?:by|without)\b", after, re.I):
            calls += 1
            continue
        if "_" in word.strip("_") or ":" in word or word in selector_names or word == "up":
            metric_words += 1
            continue
        if word in _WORD_OK or low in KEYWORDS:
            continue
        if re.fullmatch(r"\d", word[:1] or "x"):
            continue
        return False
    # a comparison or arithmetic over metric-shaped names (`up == 0`, `a_bytes / b_bytes < 0.1`)
    binary = metric_words > 0 and bool(_Q_BINARY.search(rest))
    return signal or calls > 0 or binary


def query_paragraphs(text: str) -> list[tuple[int, str]]:
    """(line offset, paragraph) for each blank-line separated paragraph of *text* that is PromQL."""
    out: list[tuple[int, str]] = []
    start = 0
    buf: list[str] = []
    for i, line in enumerate(text.split("\n") + [""]):
        if line.strip():
            if not buf:
                start = i
            buf.append(line)
            continue
        if buf:
            para = "\n".join(buf)
            if looks_like_query(para):
                out.append((start, para))
            buf = []
    return out
