"""Did-you-mean suggestions: the existing name a stale one probably meant.

``nearest`` is a plain closest-name search (object names, labels, paths); ``best_match`` suggests an
alert, metric or runbook name only when it is probably right (``SUGGEST_THRESHOLD``, calibrated on
real renames; members of a family such as ``...Warning`` / ``...Critical`` are never suggested). Used
by the rules through ``RuleContext`` and by ``rbh new-runbook``.
"""

from __future__ import annotations

import difflib
import functools
import posixpath
import re
from collections import Counter
from typing import Callable, Iterable


def nearest(name: str, candidates: Iterable[str], cutoff: float = 0.6, *, shortlist: int = 20) -> str | None:
    """The closest existing name (difflib ratio, case-insensitive), or None.

    Cheap upper bounds (length, then character multiset) filter the pool and only the *shortlist*
    best get the full ratio, so a suggestion costs little even against thousands of names.
    """
    pool = [c for c in candidates if c]
    if not name or not pool:
        return None
    key = name.lower()
    lowered: dict[str, str] = {}
    for c in pool:
        lowered.setdefault(c.lower(), c)
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(key)
    quick: list[tuple[float, str]] = []
    la = len(key)
    # difflib's quick_ratio (2 * shared characters / total length), from character counts: the same
    # number, without a Python loop over every character of every candidate
    key_counts = Counter(key)
    for low in lowered:
        lb = len(low)
        if 2.0 * min(la, lb) / (la + lb) < cutoff:
            continue
        counts = Counter(low)
        shared = sum(min(n, counts[c]) for c, n in key_counts.items())
        q = 2.0 * shared / (la + lb)
        if q >= cutoff:
            quick.append((q, low))
    quick.sort(key=lambda x: (-x[0], x[1]))
    best, best_score = None, cutoff
    for _, low in quick[:shortlist]:
        matcher.set_seq1(low)
        r = matcher.ratio()
        if r > best_score or (r == best_score and best is None):
            best, best_score = low, r
    if best is not None:
        return lowered[best]
    # a prefix/suffix relation (checkout -> checkout-api) is a strong hint even when short
    extended = sorted(c for c in pool if c.startswith(name + "-") or c.endswith("-" + name))
    return extended[0] if len(extended) == 1 else None


def name_similarity(a: str, b: str) -> float:
    """Similarity of two names (file stems, alert names, anchors): difflib's ratio over the lower-cased
    names with separators removed, so `kube-job-failed` and `KubeJobFailed` are the same name."""
    x = "".join(ch for ch in a.lower() if ch.isalnum())
    y = "".join(ch for ch in b.lower() if ch.isalnum())
    if not x or not y:
        return 0.0
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio()


_CAMEL_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _name_words(name: str) -> list[str]:
    return [w.lower() for w in _CAMEL_WORDS.findall(name)]


def _word_bounds(name: str) -> list[int]:
    """Offsets in the normalised name (lower case, alphanumerics only) where CamelCase words start."""
    bounds, pos = [0], 0
    for w in _CAMEL_WORDS.findall(name):
        pos += len(w)
        bounds.append(pos)
    return bounds


def siblings(a: str, b: str) -> bool:
    """Names that differ by whole words in one place, the words themselves unlike (`...Warning` /
    `...Critical`, `CDIOperatorDown` / `HPPOperatorDown`, `thanosruleconfigreloadfailure` /
    `ThanosReceiveConfigReloadFailure`): members of a family, not a typo or a rename. Word bounds
    come from whichever name is CamelCase; an insertion or deletion (`IngressLatencyTrend` /
    `IngressHTTPLatencyTrend`) is not a sibling."""
    x = "".join(ch for ch in a.lower() if ch.isalnum())
    y = "".join(ch for ch in b.lower() if ch.isalnum())
    if x == y:
        return False
    for name, mine, other in ((b, y, x), (a, x, y)):
        bounds = _word_bounds(name) if len(_CAMEL_WORDS.findall(name)) >= 2 else None
        if not bounds or bounds[-1] != len(mine):
            continue
        i = 0
        while i < min(len(mine), len(other)) and mine[i] == other[i]:
            i += 1
        j = 0
        while j < min(len(mine), len(other)) - i and mine[-1 - j] == other[-1 - j]:
            j += 1
        start = max(p for p in bounds if p <= i)
        end = min(p for p in bounds if p >= len(mine) - j)
        left, right = start, len(mine) - end
        mine_mid, other_mid = mine[start:end], other[left:len(other) - right] if len(other) - right >= left else ""
        if not mine_mid or not other_mid:
            return False
        words_replaced = sum(1 for p in bounds if start <= p < end)
        return words_replaced <= 2 and difflib.SequenceMatcher(None, mine_mid, other_mid, autojunk=False).ratio() < 0.75
    return False


def suggestable(name: str, candidate: str, threshold: float | None = None) -> bool:
    """Whether *candidate* is probably what *name* meant (see ``SUGGEST_THRESHOLD``)."""
    t = SUGGEST_THRESHOLD if threshold is None else threshold
    wa, wb = _name_words(name), _name_words(candidate)
    if len(wa) > 1 and sorted(wa) == sorted(wb):
        return True  # the same words in another order: CheckoutLatencyHigh / CheckoutHighLatency
    return not siblings(name, candidate) and name_similarity(name, candidate) >= t


# Calibrated on real data with bench/suggest_calibration.py (table in bench/README.md, issue 12): at
# 0.88 with siblings excluded, 9 of 23 real runbook renames get the right suggestion and none a wrong
# one (the other 14 changed too much to guess: only git history finds them), while a page that does
# not exist gets a (necessarily wrong) suggestion in 8% of cases on OpenShift, 3% on KubeVirt and 0%
# on CloudNativePG. Without the sibling rule 0.88 gives 16% there; at 0.80 a third of misses.
SUGGEST_THRESHOLD = 0.88


_INDEX_PAGES = {"index", "_index", "readme"}


@functools.lru_cache(maxsize=65536)
def _name_key(name: str) -> tuple[str, list[str]]:
    return "".join(ch for ch in name.lower() if ch.isalnum()), sorted(_name_words(name))


def best_match(name: str, candidates: Iterable[str], *, key: Callable[[str], str] | None = None) -> str | None:
    """The candidate most similar to *name* when it passes ``suggestable``; None otherwise. *key*
    maps a candidate to the name compared (a path's file stem); index pages are never suggested.
    Cheap upper bounds (length, then difflib's quick ratios) skip most candidates."""
    if key is None:
        key = str
    x = "".join(ch for ch in name.lower() if ch.isalnum())
    if not x:
        return None
    words = sorted(_name_words(name))
    t = SUGGEST_THRESHOLD
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(x)
    best, best_score = None, -1.0
    for c in candidates:
        k = key(c)
        if not k or k == name or k.lower() in _INDEX_PAGES:
            continue
        y, k_words = _name_key(k)
        if len(words) > 1 and k_words == words:
            score = 2.0  # the same words in another order
        else:
            if not y or 2.0 * min(len(x), len(y)) / (len(x) + len(y)) < t:
                continue
            matcher.set_seq1(y)
            if matcher.real_quick_ratio() < t or matcher.quick_ratio() < t:
                continue
            score = matcher.ratio()
            if score < t or siblings(name, k):
                continue
        if score > best_score or (score == best_score and best is not None and c < best):
            best, best_score = c, score
    return best


def same_name_nearest(rel: str, source: str, pool: list[str], *, unique: bool = False) -> str | None:
    """A file with the very name the link gives (a moved file), the one nearest *source* (the linking
    runbook, or the missing path itself) first: `./docs/OPERATIONS.md` from `p/docs/README.md` means `p/docs/OPERATIONS.md`, not some
    `operations.md` elsewhere that a similarity score would pick (it leaves exact names out)."""
    name = rel.rsplit("/", 1)[-1]
    if name.lower() in ("index.md", "readme.md", "_index.md"):
        return None  # every folder has one: the nearest is no better a guess than none
    same = [f for f in pool if f.rsplit("/", 1)[-1].lower() == name.lower()]
    if not same:
        return None
    here = posixpath.dirname(source).split("/")

    def distance(f: str) -> tuple[int, bool, int, str]:  # most shared folders, exact case, shallowest
        parts = posixpath.dirname(f).split("/")
        shared = next((i for i, (a, b) in enumerate(zip(parts, here)) if a != b), min(len(parts), len(here)))
        return -shared, f.rsplit("/", 1)[-1] != name, len(parts), f

    best = min(same, key=distance)
    if unique and sum(1 for f in same if distance(f)[::2] == distance(best)[::2]) > 1:
        return None  # `helm/nfd/values.yaml`: every chart folder has one, none is nearer than another
    return best
