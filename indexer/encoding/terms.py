"""The lexical tokenizer and BM25 term weights, free of Haystack so a cold ``rbh ask`` does not import it.

``indexer.components.lexical`` wraps these in Haystack components; the rationale (identifiers kept
whole and split, CamelCase, stemming, BM25 weights with Qdrant's IDF modifier) is documented there.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache
from typing import Any

#: Bumped whenever tokenization or weighting changes: it is part of the index fingerprint.
#: lex-3: a listed verb + particle also yields its closed compound (lex-2 was a reverted experiment).
LEXICAL_VERSION = "lex-3"
K1 = 1.2
B = 0.75
AVG_LEN = 120.0

_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_]|[-./:](?=[A-Za-z0-9]))*")
_SEPARATORS = re.compile(r"[-_./:]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+[a-z]*")
_MAX_TOKEN = 80

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through to
    too under until up very was we were what when where which while who whom why will with would you
    your yours yourself yourselves also via per""".split()
)


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _word(part: str) -> str | None:
    """A plain lower-case word part -> its index term (None for stop words and single characters)."""
    if len(part) < 2 or part in STOP_WORDS:
        return None
    if part.isalpha() and len(part) > 3:
        return _stem(part)
    return part


@lru_cache(maxsize=200_000)
def _terms_of_token(token: str) -> tuple[str, ...]:
    if len(token) > _MAX_TOKEN:
        token = token[:_MAX_TOKEN]
    lower = token.lower()
    out: list[str] = []
    parts = [p for p in _SEPARATORS.split(token) if p]
    compound = len(parts) > 1
    if compound:
        out.append(lower)  # the identifier itself: kube-pod-crashlooping, payments-api, deploy/x
    for part in parts:
        camel = _CAMEL.findall(part)
        is_camel = len(camel) > 1 and not part.isupper() and not part.islower()
        if is_camel:
            out.append(part.lower())  # the whole CamelCase name: kubepodcrashlooping
            low = [c.lower() for c in camel]
            for c in low:
                t = _word(c)
                if t:
                    out.append(t)
            for a, b in zip(low, low[1:]):
                out.append(_word(a + b) or a + b)  # crashlooping, so lower-case queries still hit
        else:
            t = _word(part.lower())
            if t:
                out.append(t)
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """Index terms of *text*, in order, with repeats, then the closed compounds of its phrasal verbs
    (a pure function: used at index and query time).

    >>> tokenize("KubePodCrashLooping: restart payments-api when p99 > 2s")
    ['kubepodcrashlooping', 'kube', 'pod', 'crash', 'loop', 'kubepod', 'podcrash', 'crashloop', 'restart', 'payments-api', 'payment', 'api', 'p99', '2s']
    """
    return _plain_terms(text) + phrasal_terms(text)


def _plain_terms(text: str) -> list[str]:
    out: list[str] = []
    for m in _TOKEN.finditer(text):
        out.extend(_terms_of_token(m.group(0)))
    return out


@lru_cache(maxsize=500_000)
def term_id(term: str) -> int:
    """Stable 31-bit id of an index term (the sparse vector dimension)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "big") & 0x7FFFFFFF


@lru_cache(maxsize=200_000)
def _ids_of_token(token: str) -> tuple[int, ...]:
    return tuple(term_id(t) for t in _terms_of_token(token))


def document_weights(text: str) -> tuple[list[int], list[float]]:
    """BM25-weighted (indices, values) of a chunk's text (IDF comes from Qdrant at query time)."""
    ids: list[int] = []
    for token in _TOKEN.findall(text):
        ids.extend(_ids_of_token(token))
    ids.extend(term_id(t) for t in phrasal_terms(text))
    counts = Counter(ids)
    norm = K1 * (1 - B + B * len(ids) / AVG_LEN)
    k1p1 = K1 + 1
    indices = sorted(counts)
    return indices, [counts[i] * k1p1 / (counts[i] + norm) for i in indices]


def query_terms(text: str) -> list[int]:
    """Sorted distinct term ids of a query (each weighs 1.0)."""
    return sorted({term_id(t) for t in tokenize(text)})


# ---------------------------------------------------------------- phrasal verbs and closed compounds
# Ops writing names an action both ways: "fail over to the standby" and "Failover procedures", "back
# up the database" and "Backup", "roll back" and "Rollback". The particles (over, up, down, in, out,
# off) are stop words, so "fail over" was indexed and asked as "fail" alone and never met "failover"
# (stemmed "failov"), in either direction (new-user round 8: "how do we fail over to the secondary
# data centre" found nothing; bench/README.md, "Issue 14, round 5"). So a listed verb + particle,
# written apart or with a hyphen and in any regular inflection ("failed over", "backing up",
# "set-up"), also yields the closed compound's term, in documents and queries alike: each side's
# two-word form carries the other side's one-word term. It has to be the document side too: a
# query-side split of "failover" into "fail" matches every "failed" (measured: the first answer of
# "how do I restore nextcloud from a backup" went to "what gets backed up"), while only a page that
# writes the two words has the compound. The list is short on purpose: common English phrasal verbs
# whose closed noun/adjective form is an everyday ops word. Left out: pairs whose joined form means
# something else in ops text ("check out" / the checkout service, "look up" / DNS lookup, "break
# down", "set off"), and "scale up/down" (no closed form in use: "scale-up" keeps its hyphen and is a
# term already).
PHRASAL_COMPOUNDS: tuple[tuple[str, str, str], ...] = (
    ("fail", "over", "failover"), ("fail", "back", "failback"), ("fall", "back", "fallback"),
    ("back", "up", "backup"), ("roll", "back", "rollback"), ("roll", "out", "rollout"),
    ("cut", "over", "cutover"), ("set", "up", "setup"), ("tear", "down", "teardown"),
    ("shut", "down", "shutdown"), ("start", "up", "startup"), ("clean", "up", "cleanup"),
    ("log", "in", "login"), ("log", "out", "logout"), ("sign", "in", "signin"), ("sign", "out", "signout"),
    ("time", "out", "timeout"), ("hand", "over", "handover"), ("hand", "off", "handoff"),
)
_PARTICLES = frozenset(p for _, p, _ in PHRASAL_COMPOUNDS)
#: irregular past forms the stemmer does not fold to the verb
_IRREGULAR = {"tore": "tear", "torn": "tear", "fell": "fall", "fallen": "fall"}
# a particle after a space or hyphen, found in the lower-cased text (the verb before it is read by
# hand: a regex that starts at every word costs indexing three times as much)
_PARTICLE = re.compile(r"[ \t-](%s)(?![a-z])" % "|".join(sorted(_PARTICLES)))
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")  # keeps offsets


@lru_cache(maxsize=1)
def _phrasal_table() -> dict[tuple[str, str], str]:
    """(verb stem, particle) -> closed compound."""
    return {(_stem(v), p): c for v, p, c in PHRASAL_COMPOUNDS}


def _verb_stem(word: str) -> str:
    lower = word.lower()
    return _IRREGULAR.get(lower) or _stem(lower)


def _phrasal_pairs(text: str) -> list[tuple[str, int, int, str]]:
    """(verb, start, end, compound) of each listed pair, apart or hyphenated, in *text*."""
    table = _phrasal_table()
    low = text.translate(_ASCII_LOWER)
    out = []
    for m in _PARTICLE.finditer(low):
        end = m.start(1)
        if low[end - 1] == "-":
            end -= 1
        else:
            while end > 0 and low[end - 1] in " \t":
                end -= 1
        start = end
        while start > 0 and low[start - 1] in _LETTERS:
            start -= 1
        if start == end:
            continue
        c = table.get((_verb_stem(low[start:end]), m.group(1)))
        if c:
            out.append((low[start:end], start, m.end(), c))
    return out


def phrasal_terms(text: str) -> list[str]:
    """The closed compounds' index terms of the listed verb + particle pairs in *text* ("rolled
    back" -> ``rollback``), one per occurrence."""
    return [_word(c) or c for *_, c in _phrasal_pairs(text)]


def join_phrasal_verbs(text: str) -> str:
    """*text* with each listed verb + particle written as its closed compound ("failed over" ->
    "failover"): what the dense query embeds, so the question reads as the page's word does."""
    out, pos = [], 0
    for _verb, start, end, c in _phrasal_pairs(text):
        if start >= pos:  # "fail back up": pairs may overlap, the first wins
            out += [text[pos:start], c]
            pos = end
    return "".join(out) + text[pos:] if out else text


_GERUND = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z]{2,}ing)(?![A-Za-z0-9_])")


def agent_nouns(text: str) -> dict[str, str]:
    """Index term -> the index term of its agent noun, for each verb *text* writes in -ing
    ("bots are crawling" -> ``{"crawl": "crawler"}``).

    Snowball removes "-er" only in a word's R2 region: long words lose it ("scheduler", "provisioner"
    and "container" stem as their verbs do), short ones keep it ("crawler", "worker", "server",
    "builder"), so "bots are crawling" never met a page "How to mitigate crawlers" (new-user round 11).
    Only a verb written with -ing asks for its noun: any word + "er" also makes comparatives ("high
    physical replication lag" asked for "higher" and lost two cnpg alerts), and the reverse, noun to
    verb, would strip "user" to "us", "cluster" to "clust". A verb whose stem keeps a final e ("using")
    gets no noun."""
    out: dict[str, str] = {}
    for m in _GERUND.finditer(text):
        t = _word(m.group(1).lower())
        if t and t.isalpha() and len(t) > 2 and not t.endswith(("e", "er", "ing")):
            out[t] = t + "er"
    return out


_PLAIN_WORD = re.compile(r"(?<![A-Za-z0-9_])([A-Za-z]{5,})(?![A-Za-z0-9_])")


def adjective_forms(text: str) -> dict[str, str]:
    """Index term -> the index term of its adjective in -y, for each uninflected word of five letters
    or more in *text* ("cluster health is yellow" -> ``{"health": "healthi", ...}``).

    Snowball keeps an adjective's -y as -i ("Healthy" is ``healthi``), so "elasticsearch cluster
    health is yellow" never met the section "Elasticsearch Cluster Healthy is Yellow" (new-user round
    13). Only the word as written asks (its stem is the word itself: no plural, no -ed, no -ing, none
    ending in e, s or y: "noise" is "noisy", which + y does not make), and only words of five letters
    or more: shorter ones make other words ("read" -> "ready", "bus" -> "busy", "part" -> "party").
    The reverse, an adjective's noun, is left out: stripping -y turns "ready" into "read", "busy"
    into "bus", "copy" into "cop"."""
    out: dict[str, str] = {}
    for m in _PLAIN_WORD.finditer(text):
        w = m.group(1).lower()
        if w.endswith(("e", "s", "y", "ing")) or _word(w) != w:
            continue
        adj = _word(w + "y")
        if adj and adj != w:
            out[w] = adj
    return out


def query_term_groups(text: str) -> list[frozenset[int]]:
    """The query's distinct terms, each as the ids that count as it, for the share of the query a
    section covers: a verb written apart from its particle counts as the verb or the closed compound
    (``fail`` or ``failov``: a page's "Failover" covers "fail over"); the compound a pair yields is no
    term of its own. A verb written in -ing counts as the verb or its agent noun (``agent_nouns``), a
    plain word as the word or its adjective in -y (``adjective_forms``).
    Without either, each group is one term, and the ids are those of ``query_terms``."""
    alternatives: dict[str, set[str]] = {t: {t} for t in _plain_terms(text)}
    for t, noun in agent_nouns(text).items():
        alternatives.setdefault(t, {t}).add(noun)
    for t, adj in adjective_forms(text).items():
        alternatives.setdefault(t, {t}).add(adj)
    for word, *_, c in _phrasal_pairs(text):
        verb = _word(word) or word
        alternatives.setdefault(verb, {verb}).add(_word(c) or c)
    return sorted({frozenset(term_id(t) for t in alts) for alts in alternatives.values()}, key=sorted)


def chunk_text(title: str | None, heading_path: list[str] | None, content: str | None) -> str:
    """What a chunk is embedded as: runbook title, heading breadcrumb, then the verbatim section."""
    crumbs = " > ".join(heading_path or [])
    head = title or ""
    return f"{head}\n{crumbs}\n\n{content or ''}" if crumbs else f"{head}\n\n{content or ''}"


def embedding_text(doc: Any) -> str:
    """``chunk_text`` of a Haystack ``Document`` (its ``title`` and ``heading_path`` meta, its content)."""
    return chunk_text(doc.meta.get("title"), doc.meta.get("heading_path"), doc.content)
