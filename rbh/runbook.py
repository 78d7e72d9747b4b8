"""The Runbook model and its parser: front matter, headings with MkDocs anchors, code blocks, links.

``parse_runbook`` never raises on content: whatever is wrong with a file (broken front matter, a wrong
type, an unterminated fence, bytes that are not UTF-8) becomes a ``Problem`` with a line number, and
everything that could be read is still returned. Checks turn problems into findings; the indexer
still indexes the readable part.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rbh import yaml_load

# --------------------------------------------------------------------------------------------
# Front matter


_DURATION = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks|m|mo|month|months|y|year|years)?\s*$", re.I)
_UNIT_DAYS = {"d": 1, "day": 1, "days": 1, "w": 7, "week": 7, "weeks": 7, "m": 30, "mo": 30, "month": 30,
              "months": 30, "y": 365, "year": 365, "years": 365}


def parse_duration_days(value: Any) -> int:
    """``90``, ``"90d"``, ``"12w"``, ``"6 months"``, ``"1y"`` -> days."""
    if isinstance(value, bool):
        raise ValueError("expected a number of days or a duration such as '90d', '12w', '6 months'")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("must be a positive number of days")
        return value
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            n = int(m.group(1))
            days = n * _UNIT_DAYS[(m.group(2) or "d").lower()]
            if days > 0:
                return days
    raise ValueError("expected a number of days or a duration such as '90d', '12w', '6 months'")


def _listify(v: Any) -> Any:
    if v is None:
        return []
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return [str(v)]
    return v


class FrontMatter(BaseModel):
    """The YAML block at the top of a runbook. Every field is optional; unknown keys are kept in ``extra``."""

    model_config = ConfigDict(extra="allow")

    title: str | None = None
    service: list[str] = Field(default_factory=list, description="service or services this runbook covers")
    owner: str | None = None
    team: str | None = None
    alerts: list[str] = Field(default_factory=list, description="alert names this runbook answers")
    severity: str | None = None
    last_reviewed: dt.date | None = None
    review_every: int | None = Field(None, description="days between reviews; accepts '90d', '12w', '6 months'")
    tags: list[str] = Field(default_factory=list)
    dashboards: list[str] = Field(default_factory=list, description="dashboard URLs or uids")

    @field_validator("service", "alerts", "tags", "dashboards", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        v = _listify(v)
        if isinstance(v, list):
            return [str(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x for x in v]
        return v

    @field_validator("review_every", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        return None if v is None else parse_duration_days(v)

    @field_validator("last_reviewed", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return v.date()
        return v

    @property
    def owners(self) -> list[str]:
        return [o for o in (self.owner, self.team) if o]

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def review_due(self, default_days: int | None = None) -> dt.date | None:
        """When the next review is due (see ``review_due``)."""
        return review_due(self.last_reviewed, self.review_every, default_days)


def review_due(last_reviewed: dt.date | None, review_every: int | None, default_days: int | None = None) -> dt.date | None:
    """The date a runbook's next review is due: ``last_reviewed`` plus its ``review_every`` days, or
    *default_days* when it declares none (``rbh.checks.api.default_review_days``); None when either
    is missing. A review is overdue once today is past this date. The one rule that ``rbh check``
    (RBH401), ``rbh ask`` and the site all apply."""
    every = review_every or default_days
    if last_reviewed is None or not every:
        return None
    return last_reviewed + dt.timedelta(days=every)


# --------------------------------------------------------------------------------------------
# Document model


@dataclass(frozen=True)
class Problem:
    """Something wrong with a file that did not stop it from being read."""

    line: int
    message: str
    code: str = "parse"  # front-matter | encoding | binary | too-large | fence | parse
    column: int = 1


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str
    line: int
    explicit: bool = False  # the anchor comes from an attribute list (``{#id}``), not the text


@dataclass(frozen=True)
class CodeBlock:
    lang: str
    text: str
    line: int  # the opening fence
    start_line: int  # first content line
    end_line: int  # closing fence (or last line when unterminated)
    indent: int = 0
    closed: bool = True


@dataclass(frozen=True)
class InlineCode:
    text: str
    line: int
    column: int


@dataclass(frozen=True)
class Link:
    text: str
    target: str
    line: int
    column: int
    kind: str = "inline"  # inline | reference | auto | bare


@dataclass(frozen=True)
class Comment:
    text: str
    line: int


@dataclass
class Runbook:
    path: str
    text: str
    front_matter: FrontMatter = field(default_factory=FrontMatter)
    body_line: int = 1  # first line after the front matter block
    headings: list[Heading] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    inline_code: list[InlineCode] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    git: Any = None  # rbh.git.CommitInfo of the file's last change, when known
    site_title: str | None = None  # the site's own name for the page (an MkDocs nav entry), when it has one

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def title(self) -> str:
        if self.front_matter.title:
            return self.front_matter.title
        for h in self.headings:
            if h.level == 1:
                return h.text
        if self.site_title:
            return self.site_title
        first = self.headings[0] if self.headings else None
        if first is not None and all(h.level > first.level for h in self.headings[1:]):
            return first.text  # no H1, but one heading above all others (`## AlertName`, `### a. ...`)
        folder, _, name = self.path.rpartition("/")
        stem = re.sub(r"\.[a-z]{2}(?:-[a-zA-Z]{2})?$", "", name.rsplit(".", 1)[0])  # Hugo's `page.en.md`
        if stem.lower() in ("index", "_index", "readme") and folder:
            stem = folder.rsplit("/", 1)[-1]  # a folder's page (`backup/_index.en.md`) is named by its folder
        return stem.replace("-", " ").replace("_", " ").strip() or self.path

    @property
    def anchors(self) -> set[str]:
        return {h.anchor for h in self.headings}

    def _heading_index(self) -> tuple[list[int], list[int]]:
        """(line of each heading, index of each heading's parent or -1), built once per heading list:
        the chunker asks for every heading's path, and a scan per call was quadratic in headings."""
        cached = self.__dict__.get("_heading_cache")
        if cached is not None and cached[0] is self.headings and cached[1] == len(self.headings):
            return cached[2], cached[3]
        lines = [h.line for h in self.headings]
        parents: list[int] = []
        stack: list[int] = []
        for i, h in enumerate(self.headings):
            while stack and self.headings[stack[-1]].level >= h.level:
                stack.pop()
            parents.append(stack[-1] if stack else -1)
            stack.append(i)
        self.__dict__["_heading_cache"] = (self.headings, len(self.headings), lines, parents)
        return lines, parents

    def heading_at(self, line: int) -> Heading | None:
        """The heading whose section contains *line*."""
        lines, _ = self._heading_index()
        i = bisect.bisect_right(lines, line) - 1
        return self.headings[i] if i >= 0 else None

    def heading_path(self, line: int) -> list[Heading]:
        """Breadcrumb of headings enclosing *line*, outermost first."""
        lines, parents = self._heading_index()
        i = bisect.bisect_right(lines, line) - 1
        path: list[Heading] = []
        while i >= 0:
            path.append(self.headings[i])
            i = parents[i]
        return path[::-1]


# --------------------------------------------------------------------------------------------
# Anchors: rbh.anchors is the one implementation; these names stay importable from here.

from rbh.anchors import DEFAULT as DEFAULT_SLUGGER  # noqa: E402
from rbh.anchors import Slugger, UniqueIds, slugify, split_attr_id, unique_anchor  # noqa: E402,F401
from rbh.anchors import heading_text as heading_plain_text  # noqa: E402,F401


# --------------------------------------------------------------------------------------------
# Parser

_FM_OPEN = re.compile(r"^---\s*$")
_FM_CLOSE = re.compile(r"^(---|\.\.\.)\s*$")
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")  # info is stripped by the caller
#: a fence that opens a list item (``2. ```bash``): CommonMark's code block inside the item, whose
#: lines and closing fence sit at the item's content column
_LIST_FENCE = re.compile(r"^(?P<indent>\s*(?:[-*+]|\d{1,9}[.)])\s+)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_ATX_OPEN = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_INLINE_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^()\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
# `[^1]: text` is a footnote (Python-Markdown, GFM, GitLab, Goldmark), not a link reference definition
_REF_LABEL = re.compile(r"^ {0,3}\[(?!\^)([^\]]+)\]:", re.M)
_REF_DEF = re.compile(r"^ {0,3}\[(?!\^)([^\]]+)\]:\s*<?(\S+?)>?(?:\s+.*)?$")
# a heading that is only template code (Middleman ERB, Go templates): filled from the front matter
_TEMPLATE_ONLY = re.compile(r"\s*(?:<%=?.*?%>|\{\{.*?\}\})\s*")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^<>\s]+)>")
_BARE_URL = re.compile(r"(?<![(<\[\"'=])\bhttps?://[^\s<>)\]`\"']+")

_INLINE_CODE = re.compile(r"(?<!`)(`++)(.+?)\1")  # a run is taken whole (possessive): no retry inside it
MAX_LINE_SCAN = 20_000  # characters of one line scanned for inline elements
# The expressions above are linear on hostile lines (tests/data/pathological.yaml): no quantified
# piece can also match what follows it, scans stop at the next opener ("[", "<", "{", "("), and
# runs of backticks are taken whole. Headings and comments are found without regexes.


def _atx_heading(line: str) -> tuple[int, str] | None:
    """(level, raw text) of an ATX heading line (``## Text ##``), else None."""
    m = _ATX_OPEN.match(line)
    if not m:
        return None
    rest = line[m.end() :].strip(" \t")
    body = rest.rstrip("#")
    if body != rest and (not body or body[-1] in " \t"):  # a closing sequence of #s
        rest = body.rstrip(" \t")
    return len(m.group(1)), rest


def _comment_spans(line: str, *, outside_code: bool = False) -> Iterator[tuple[int, int]]:
    """(start, end) of each ``<!-- ... -->`` comment closed on *line*: its opener's index and its
    closer's (the first "-->" after the opener). With *outside_code*, an opener inside a code span
    (an odd number of backticks before it) is text, not a comment."""
    pos = 0
    while True:
        start = line.find("<!--", pos)
        end = line.find("-->", start + 4) if start >= 0 else -1
        if end < 0:
            return
        if outside_code and line.count("`", 0, start) % 2:
            pos = start + 4
            continue
        yield start, end
        pos = end + 3


def _comments(line: str) -> list[str]:
    """Texts of the ``<!-- ... -->`` comments closed on *line*."""
    return [line[start + 4 : end] for start, end in _comment_spans(line)]


def _blank_comments(line: str) -> str:
    """*line* with each ``<!-- ... -->`` closed on it (not in a code span) replaced by spaces,
    columns kept: a comment renders nothing, so a link or command in it is none
    ("<!-- TODO [OVH](./ovh.md) -->")."""
    if "<!--" not in line:
        return line
    for start, end in list(_comment_spans(line, outside_code=True)):
        line = line[:start] + " " * (end + 3 - start) + line[end + 3 :]
    return line


def decode(data: bytes) -> tuple[str | None, list[Problem]]:
    """Bytes of a runbook file -> text, with problems for binary content or invalid UTF-8."""
    if b"\x00" in data[:8192]:
        return None, [Problem(1, "binary file, not markdown: skipped", "binary")]
    try:
        text = data.decode("utf-8")
        problems: list[Problem] = []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        text = data.decode("utf-8", errors="replace")
        problems = [Problem(line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); undecodable bytes replaced", "encoding")]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n"), problems


_TOML_FENCE = re.compile(r"^\+\+\+\s*$")


def _parse_toml_front_matter(lines: list[str]) -> tuple[dict[str, Any], int, list[Problem]]:
    """Hugo's TOML front matter between ``+++`` lines (``title = "Alerting Runbook"``)."""
    import tomllib

    end = next((i for i in range(1, min(len(lines), 2000)) if _TOML_FENCE.match(lines[i])), None)
    if end is None:
        return {}, 0, [Problem(1, "front matter starts with '+++' but is never closed; treated as text", "front-matter")]
    try:
        data = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        return {}, end + 1, [Problem(1, f"front matter is not valid TOML: {str(exc).splitlines()[0]}", "front-matter")]
    return data, end + 1, []


def _parse_front_matter(lines: list[str]) -> tuple[dict[str, Any], int, list[Problem]]:
    """Returns (mapping, first body line index (0-based), problems)."""
    if lines and _TOML_FENCE.match(lines[0]):
        return _parse_toml_front_matter(lines)
    if not lines or not _FM_OPEN.match(lines[0]):
        return {}, 0, []
    end = None
    for i in range(1, min(len(lines), 2000)):
        if _FM_CLOSE.match(lines[i]):
            end = i
            break
    if end is None:
        return {}, 0, [Problem(1, "front matter starts with '---' but is never closed; treated as text", "front-matter")]
    block = "\n".join(lines[1:end])
    surrogates: list[int] = []
    try:
        data = _load_yaml(block, surrogates) if block.strip() else {}
    except yaml_load.AliasBomb:
        return {}, end + 1, [Problem(1, f"front matter expands to more than {FRONT_MATTER_MAX_NODES:,} values through YAML aliases (alias bomb?); ignored", "front-matter")]
    except RecursionError:  # yaml_load.TooDeep, or the pure-Python parser's own recursion
        return {}, end + 1, [Problem(1, "front matter is nested too deeply", "front-matter")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, end + 1, [Problem(line, f"front matter is not valid YAML: {problem}", "front-matter")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, end + 1, [Problem(1, "front matter must be a mapping of keys to values", "front-matter")]
    problems = [Problem(line + 1, "front matter holds a lone surrogate (a \\uD800-\\uDFFF escape), which no output can encode; replaced with U+FFFD", "front-matter")
                for line in sorted(set(surrogates))]
    return data, end + 1, problems


# Front matter is a few dozen values; a budget far above that refuses alias bombs before they expand.
FRONT_MATTER_MAX_NODES = 20_000
FRONT_MATTER_MAX_DEPTH = 50


def _load_yaml(text: str, surrogates: list[int] | None = None) -> Any:
    """The shared bounded loader (``rbh.yaml_load``: libyaml, node and depth budgets, lone surrogates
    repaired and their lines put in *surrogates*). On a syntax error the pure-Python parser reads
    small blocks again for its more precise line (composing only: aliases are never expanded)."""
    try:
        return yaml_load.safe_load(text, max_nodes=FRONT_MATTER_MAX_NODES, max_depth=FRONT_MATTER_MAX_DEPTH,
                                   surrogates=surrogates)
    except yaml.YAMLError as exc:
        raise yaml_load.precise_error(text, exc) from None


def _key_line(lines: list[str], key: str, default: int) -> int:
    pat = re.compile(rf"^\s*{re.escape(key)}\s*:")
    for i, line in enumerate(lines[1:], start=2):
        if _FM_CLOSE.match(line):
            break
        if pat.match(line):
            return i
    return default


def load_front_matter(data: dict[str, Any], lines: list[str]) -> tuple[FrontMatter, list[Problem]]:
    """Validate front matter; a field with a wrong type is dropped with a problem naming the key and line."""
    data = {str(k): v for k, v in data.items()}
    problems: list[Problem] = []
    for _ in range(len(FrontMatter.model_fields) + 1):
        try:
            return FrontMatter.model_validate(data), problems
        except ValidationError as exc:
            bad = {str(e["loc"][0]) for e in exc.errors() if e.get("loc")}
            for e in exc.errors():
                if not e.get("loc"):
                    continue
                key = str(e["loc"][0])
                if key not in data:
                    continue
                problems.append(Problem(_key_line(lines, key, 1), f"front matter key '{key}': {e['msg']} (got {type(data[key]).__name__}); ignored", "front-matter"))
            for key in bad:
                data.pop(key, None)
            if not bad:
                break
    return FrontMatter(), problems


def _scan_inline(line: str, lineno: int, rb: Runbook) -> None:
    if "`" not in line and "[" not in line and "<" not in line and "http" not in line:
        return  # no code span, link, autolink or URL can start here (fast path for plain prose)
    scan = line[:MAX_LINE_SCAN]
    code_spans: list[tuple[int, int]] = []
    for m in _INLINE_CODE.finditer(scan):
        code_spans.append((m.start(), m.end()))
        rb.inline_code.append(InlineCode(m.group(2).strip(), lineno, m.start(2) + 1))

    def in_code(pos: int) -> bool:
        return any(a <= pos < b for a, b in code_spans)

    taken: list[tuple[int, int]] = []
    for m in _INLINE_LINK.finditer(scan):
        if in_code(m.start()):
            continue
        taken.append((m.start(), m.end()))
        rb.links.append(Link(m.group(2), m.group(3), lineno, m.start() + 1, "image" if m.group(1) else "inline"))
    ref = _REF_DEF.match(scan)
    if ref:
        rb.links.append(Link(ref.group(1), ref.group(2), lineno, ref.start(2) + 1, "reference"))
        taken.append((0, len(scan)))
    for m in _AUTOLINK.finditer(scan):
        if not in_code(m.start()):
            taken.append((m.start(), m.end()))
            rb.links.append(Link(m.group(1), m.group(1), lineno, m.start(1) + 1, "auto"))
    for m in _BARE_URL.finditer(scan):
        if in_code(m.start()) or any(a <= m.start() < b for a, b in taken):
            continue
        url = m.group(0).rstrip(".,;:!?")
        rb.links.append(Link(url, url, lineno, m.start() + 1, "bare"))


def parse_markdown(path: str, text: str, problems: list[Problem] | None = None, slugger: Slugger = DEFAULT_SLUGGER) -> Runbook:
    """Parse markdown *text* (already decoded). Line numbers are 1-based and count front matter lines;
    heading anchors follow *slugger* (the site's ``toc.slugify``, see ``rbh.anchors.slugger_for``)."""
    lines = text.split("\n")
    rb = Runbook(path=path, text=text, problems=list(problems or []))
    data, body_start, fm_problems = _parse_front_matter(lines)
    rb.problems.extend(fm_problems)
    fm, type_problems = load_front_matter(data, lines) if data else (FrontMatter(), [])
    rb.front_matter = fm
    rb.problems.extend(type_problems)
    rb.body_line = body_start + 1

    ids = UniqueIds()
    fence: tuple[str, int, int, str] | None = None  # (marker, indent, open index, lang)
    fence_lines: list[str] = []
    prev_text: str | None = None  # previous one-line paragraph (for setext headings)
    prev_blank = True
    in_comment = False

    refs = {m.group(1).strip().lower() for m in _REF_LABEL.finditer(text)} if "]:" in text else set()

    def add_heading(level: int, raw: str, lineno: int) -> None:
        raw, explicit = split_attr_id(raw, slugger.attr_tight) if slugger.attr_list else (raw, None)
        plain = heading_plain_text(raw, refs)
        if fm.title and _TEMPLATE_ONLY.fullmatch(plain):
            plain = fm.title  # `# <%= current_page.data.title %>`: the site renders the page title there
        if explicit:
            ids.used.add(explicit)
        anchor = explicit or ids.add(slugger(plain))
        rb.headings.append(Heading(level, plain, anchor, lineno, bool(explicit)))

    for idx in range(body_start, len(lines)):
        line = lines[idx]
        lineno = idx + 1
        if fence is not None:
            marker, indent, open_idx, lang = fence
            stripped = line.strip()
            if stripped and stripped[0] == marker[0] and set(stripped) == {marker[0]} and len(stripped) >= len(marker):
                rb.code_blocks.append(CodeBlock(lang, "\n".join(fence_lines), open_idx + 1, open_idx + 2, lineno, indent))
                fence, fence_lines = None, []
            else:
                cut = 0
                while cut < indent and cut < len(line) and line[cut] == " ":
                    cut += 1
                fence_lines.append(line[cut:])
            continue
        if in_comment:
            if "-->" in line:
                in_comment = False
            prev_text = None
            continue
        m = _FENCE.match(line) or _LIST_FENCE.match(line)
        if m and not (m.group("fence")[0] == "`" and "`" in m.group("info")):
            info = m.group("info").strip()
            lang = info.split()[0].lstrip("{.").rstrip("}").lower() if info else ""
            fence = (m.group("fence"), len(m.group("indent").expandtabs(4)), idx, lang)
            prev_text, prev_blank = None, True
            continue
        if "<!--" in line:
            for text in _comments(line):
                rb.comments.append(Comment(text.strip(), lineno))
            if line.rfind("<!--") > line.rfind("-->"):
                start = line.rfind("<!--")
                rest = "\n".join([line[start + 4 :]] + lines[idx + 1 : idx + 50])
                end = rest.find("-->")
                rb.comments.append(Comment(rest[: end if end >= 0 else len(rest)].strip(), lineno))
                in_comment = True
                continue
        atx = _atx_heading(line) if "#" in line[:4] else None  # at most 3 spaces before the #s
        if atx:
            add_heading(atx[0], atx[1].strip(), lineno)
            _scan_inline(_blank_comments(line), lineno, rb)
            prev_text, prev_blank = None, True
            continue
        m = _SETEXT.match(line)
        if m and prev_text is not None and (m.group(1)[0] == "=" or len(m.group(1)) >= 2):
            add_heading(1 if m.group(1)[0] == "=" else 2, prev_text.strip(), lineno - 1)
            prev_text, prev_blank = None, True
            continue
        _scan_inline(_blank_comments(line), lineno, rb)
        stripped = line.strip()
        is_para = bool(stripped) and not line.startswith("    ") and not re.match(r"^\s*([-*+>|]|\d+[.)])\s", line) and not stripped.startswith("<")
        # Only a one-line paragraph can become a setext heading here (keeps anchors unambiguous).
        prev_text = line if is_para and prev_blank else None
        prev_blank = not stripped

    if fence is not None:
        marker, indent, open_idx, lang = fence
        rb.code_blocks.append(CodeBlock(lang, "\n".join(fence_lines), open_idx + 1, open_idx + 2, len(lines), indent, closed=False))
        rb.problems.append(Problem(open_idx + 1, f"code fence {marker} opened here is never closed; it runs to the end of the file", "fence"))
    return rb


def too_large_runbook(path: str, size: int, max_bytes: int) -> Runbook:
    """The placeholder for a file over the size limit: callers that know the size can skip reading it."""
    return Runbook(path=path, text="", problems=[Problem(1, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit: skipped", "too-large")])


def parse_runbook(path: str, data: bytes | str, max_bytes: int | None = None, slugger: Slugger = DEFAULT_SLUGGER) -> Runbook:
    """Parse a runbook file's bytes (or text). Never raises for bad content; see ``Runbook.problems``."""
    problems: list[Problem]
    if isinstance(data, str):
        text, problems = data.replace("\r\n", "\n"), []
    else:
        if max_bytes is not None and len(data) > max_bytes:
            return too_large_runbook(path, len(data), max_bytes)
        decoded, problems = decode(data)
        if decoded is None:
            return Runbook(path=path, text="", problems=problems)
        text = decoded
    try:
        return parse_markdown(path, text, problems, slugger)
    except RecursionError:
        return Runbook(path=path, text=text, problems=problems + [Problem(1, "document nested too deeply to parse", "parse")])
