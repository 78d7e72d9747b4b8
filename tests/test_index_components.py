"""Unit tests of the indexer's Haystack components: tokenizer, sparse weights, chunker, embedder."""

from __future__ import annotations

import pytest
from haystack import Document

from rbh.indexer.components.chunker import HeadingChunker, chunk_id
from rbh.indexer.components.lexical import (
    LexicalTextEncoder,
    document_sparse,
    embedding_text,
    query_sparse,
    term_id,
    tokenize,
)
from rbh.runbook import parse_runbook


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("kube-pod-crashlooping", ["kube-pod-crashlooping", "kube", "pod", "crashloop"]),
        ("KubePodCrashLooping", ["kubepodcrashlooping", "kube", "pod", "crash", "loop", "kubepod", "podcrash", "crashloop"]),
        ("p99 latency of 5xx errors", ["p99", "latenc", "5xx", "error"]),
        ("rate(http_requests_total[5m])", ["rate", "http_requests_total", "http", "request", "total", "5m"]),
        ("kubectl -n payments rollout restart deploy/payments-api",
         ["kubectl", "payment", "rollout", "restart", "deploy/payments-api", "deploy", "payment", "api"]),
        ("The pods are restarting", ["pod", "restart"]),
        ("HTTPServerErrors", ["httpservererrors", "http", "server", "error", "httpserver", "servererror"]),
    ],
)
def test_tokenizer_keeps_identifiers_and_splits_them(text, terms):
    assert tokenize(text) == terms


def test_query_for_lower_case_alert_words_hits_camel_case_alert_names():
    doc = set(tokenize("KubePodCrashLooping"))
    assert set(tokenize("pod crashlooping")) <= doc
    assert set(tokenize("crash looping pods")) <= doc


def test_term_ids_are_stable_31_bit_hashes():
    assert term_id("p99") == term_id("p99") and 0 <= term_id("p99") < 2**31
    assert term_id("p99") != term_id("p95")


def test_document_weights_saturate_and_normalise_by_length():
    one = document_sparse("redis")
    many = document_sparse("redis " * 10)
    w1, w10 = one.values[0], many.values[0]
    assert w1 < w10 < 2.2  # tf saturates below k1 + 1
    long_doc = document_sparse("redis " + "filler words here " * 100)
    assert long_doc.values[long_doc.indices.index(term_id(tokenize("redis")[0]))] < w1  # longer chunk, lower weight


def test_stems_are_the_english_snowball_stems_whichever_implementation_runs():
    # snowballstemmer uses PyStemmer (compiled) when it is installed, else its own Python code; an
    # index built with one is queried with the other, so both must give these stems (the sparse
    # term ids are hashes of them). Compared on 870,000 words when PyStemmer was added: identical.
    from rbh.indexer.encoding.terms import _stem

    words = {"restarted": "restart", "latencies": "latenc", "generously": "generous", "replication": "replic",
             "certificates": "certif", "throttling": "throttl", "dying": "die", "skies": "sky", "knightly": "knight"}
    assert {w: _stem(w) for w in words} == words


def test_query_vector_has_weight_one_per_distinct_term():
    enc = LexicalTextEncoder()
    enc.warm_up()
    sv = enc.run(text="redis redis memory")["sparse_embedding"]
    assert sv.values == [1.0, 1.0] and sv.indices == sorted({term_id(t) for t in tokenize("redis memory")})
    assert query_sparse("the of and").indices == []


def test_embedding_text_is_title_breadcrumb_and_verbatim_content():
    doc = Document(content="## Steps\n\n`kubectl get pods`", meta={"title": "Cart", "heading_path": ["Cart", "Steps"]})
    assert embedding_text(doc) == "Cart\nCart > Steps\n\n## Steps\n\n`kubectl get pods`"


RUNBOOK = """---
title: Cart errors
service: cart
---
# Cart errors

Preamble under the title.

## Diagnosis

```bash
kubectl -n shop logs deploy/cart
## not a heading inside the fence
```

### Dashboards

| panel | link |
|-------|------|
| errors | http://grafana/d/cart |

## Diagnosis

Second section with the same heading.
"""


def test_chunker_splits_at_headings_and_keeps_fences_and_tables():
    docs = HeadingChunker(heading_levels=3).chunk(parse_runbook("runbooks/cart.md", RUNBOOK))
    got = [(d.meta["heading_path"], d.meta["anchor"], d.meta["line"], d.meta["end_line"]) for d in docs]
    assert got == [
        (["Cart errors"], "cart-errors", 5, 7),
        (["Cart errors", "Diagnosis"], "diagnosis", 9, 14),
        (["Cart errors", "Diagnosis", "Dashboards"], "dashboards", 16, 20),
        (["Cart errors", "Diagnosis"], "diagnosis_1", 22, 24),
    ]
    assert docs[1].content == "## Diagnosis\n\n```bash\nkubectl -n shop logs deploy/cart\n## not a heading inside the fence\n```"
    assert docs[0].id != docs[3].id and docs[1].id != docs[3].id  # repeated heading path, distinct ids
    assert [d.meta["chunk_index"] for d in docs] == [0, 1, 2, 3] and docs[0].meta["chunk_count"] == 4


def test_chunk_ids_survive_edits_elsewhere_in_the_file():
    before = HeadingChunker().chunk(parse_runbook("a.md", RUNBOOK))
    after = HeadingChunker().chunk(parse_runbook("a.md", RUNBOOK.replace("Preamble under", "A longer preamble\n\nunder")))
    assert [d.id for d in before] == [d.id for d in after]
    assert before[2].id == chunk_id("a.md", ["Cart errors", "Diagnosis", "Dashboards"])
    assert before[1].meta["line"] + 2 == after[1].meta["line"]


def test_level_two_chunking_keeps_subsections_inside():
    docs = HeadingChunker(heading_levels=2).chunk(parse_runbook("a.md", RUNBOOK))
    assert [d.meta["anchor"] for d in docs] == ["cart-errors", "diagnosis", "diagnosis_1"]
    assert "| errors | http://grafana/d/cart |" in docs[1].content


def test_long_section_is_split_at_paragraphs_with_overlap_never_inside_a_fence():
    paras = [f"Paragraph {i} " + "word " * 30 for i in range(8)]
    fence = "```bash\n" + "\n".join(f"echo step {i}" for i in range(60)) + "\n```"
    text = "# T\n\n## Long\n\n" + "\n\n".join(paras[:4]) + "\n\n" + fence + "\n\n" + "\n\n".join(paras[4:]) + "\n"
    docs = HeadingChunker(max_chars=500, overlap_chars=200).chunk(parse_runbook("a.md", text))
    assert all(d.meta["anchor"] == "long" for d in docs)
    assert [d.meta["part"] for d in docs] == list(range(len(docs)))
    fence_docs = [d for d in docs if "```bash" in d.content]
    assert len(fence_docs) == 1 and fence in fence_docs[0].content  # the fence stays whole
    assert all(d.content.count("```") % 2 == 0 for d in docs)
    # overlap: a paragraph that ends one part starts the next one
    plain = [d for d in docs if "```" not in d.content]
    assert any(a.content.split("\n\n")[-1] == b.content.split("\n\n")[0] for a, b in zip(plain, plain[1:]))
    assert len({d.id for d in docs}) == len(docs)


def test_huge_single_line_is_cut_at_whitespace():
    text = "# T\n\n## S\n\n" + ("word " * 2000) + "\n"
    docs = HeadingChunker(max_chars=1000, overlap_chars=100).chunk(parse_runbook("a.md", text))
    assert len(docs) > 5 and all(len(d.content) <= 1000 for d in docs)


def test_file_without_headings_is_one_chunk_titled_after_the_file():
    docs = HeadingChunker().chunk(parse_runbook("runbooks/disk-full.md", "Free space with `du -sh /var/log`.\n"))
    assert [(d.meta["heading"], d.meta["heading_path"], d.meta["anchor"], d.meta["level"]) for d in docs] == [("disk full", [], "", 0)]


def test_dense_embedder_loads_package_weights_and_matches_query_space():
    from rbh.indexer.components.dense import WordLlamaDocumentEmbedder, WordLlamaTextEmbedder

    docs = [Document(content="Restart the redis pods", meta={"title": "Redis", "heading_path": ["Redis"]}),
            Document(content="Renew the TLS certificate", meta={"title": "Certs", "heading_path": ["Certs"]})]
    emb = WordLlamaDocumentEmbedder()
    emb.warm_up()
    out = emb.run(documents=docs)["documents"]
    assert len(out[0].embedding) == 256 and docs[0].embedding is None  # inputs are not mutated
    q = WordLlamaTextEmbedder()
    q.warm_up()
    v = q.run(text="redis pods restart")["embedding"]
    sims = [sum(a * b for a, b in zip(v, d.embedding)) for d in out]
    assert sims[0] > sims[1]
    assert WordLlamaTextEmbedder.from_dict(q.to_dict()).dim == 256


def test_unknown_model_is_a_config_error():
    from rbh.indexer.components.dense import WordLlamaTextEmbedder
    from rbh.errors import ConfigError

    with pytest.raises(ConfigError, match="unsupported embedding model 'bert'"):
        WordLlamaTextEmbedder(model="bert")


def test_word_split_before_bpe_gives_wordllamas_own_tokens():
    """The faster pre-tokenizer (indexer.encoding.wordllama_model) must not change any token."""
    import copy
    from pathlib import Path

    from rbh.indexer.encoding.wordllama_model import load_wordllama

    fast = load_wordllama("wordllama", 256).tokenizer
    plain = copy.deepcopy(fast)
    plain.pre_tokenizer = None
    root = Path(__file__).resolve().parent.parent / "runbooks"
    texts = [p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.md"))]
    texts += ["  indented  two   spaces\n\n\tTab", "x" * 50 + " " * 7 + "end", "émoji ✅ ünïcode — dash", "", "▁literal▁marks"]
    assert len(texts) > 20
    for text in texts:
        assert fast.encode(text, add_special_tokens=False).ids == plain.encode(text, add_special_tokens=False).ids, text[:60]


def test_indexing_pipeline_round_trips_through_haystack_serialization(tmp_path):
    """Settings only in to_dict: the store target and the vector cache are run() inputs, so nothing
    run-time is silently dropped by serialization."""
    from haystack import Pipeline

    from rbh.indexer.components.source import GitRunbookLoader
    from rbh.indexer.pipelines import IndexSettings, build_indexing_pipeline
    from rbh.config import Config
    from rbh.project import Project

    project = Project(root=tmp_path, config=Config())
    settings = IndexSettings.from_project(project)
    pipeline = build_indexing_pipeline(settings, GitRunbookLoader(str(tmp_path), ref="main"))
    data = pipeline.to_dict()
    assert data["components"]["writer"]["init_parameters"] == {"batch_size": 256}
    assert data["components"]["reuse"]["init_parameters"] == {}
    inputs = pipeline.inputs()
    assert "target" in inputs["writer"] and inputs["writer"]["target"]["is_mandatory"]
    assert "cache" in inputs["reuse"] and not inputs["reuse"]["cache"]["is_mandatory"]
    again = Pipeline.from_dict(data, allowed_modules=["rbh.indexer"])
    assert again.to_dict() == data
