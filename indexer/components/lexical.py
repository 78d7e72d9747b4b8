"""Sparse lexical vectors: our own tokenizer and BM25-style term weights, scored by Qdrant's IDF modifier.

Why our own tokenizer: on-call text is full of identifiers that generic analyzers destroy.
``kube-pod-crashlooping``, ``p99``, ``5xx``, ``payments-api``, ``http_requests_total`` and
``KubePodCrashLooping`` must match themselves exactly AND their parts must match plain-word queries
("pod crash looping"). So a compound token is kept whole and also split into its parts; CamelCase
is split too, with adjacent parts joined again (``crashlooping``) so a query that writes the alert
name in lower case still hits. Plain words are lower-cased, stop words dropped and stemmed with the
Snowball English stemmer; identifiers are never stemmed.

Weights: a document term gets BM25's saturated, length-normalised term frequency
``tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / AVG_LEN))``; the query side sends 1.0 per term and
the collection's sparse vector has ``Modifier.IDF``, so Qdrant multiplies in the IDF at query time
and the dot product is BM25. ``AVG_LEN`` is a constant instead of the corpus mean so that an
incremental sync never has to re-weight unchanged chunks; it is part of the index fingerprint.

Term ids are the first 31 bits of a BLAKE2b hash of the term: stable across runs and machines.
"""

from __future__ import annotations

from dataclasses import replace

from haystack import Document, component
from haystack.dataclasses import SparseEmbedding

# The pure tokenizer and weights live in ``terms`` (no Haystack import: the query path uses them).
from rbh.indexer.encoding.terms import (  # noqa: F401 - re-exported
    AVG_LEN,
    B,
    K1,
    LEXICAL_VERSION,
    STOP_WORDS,
    _stemmer,
    document_weights,
    embedding_text,
    query_terms,
    term_id,
    tokenize,
)


def document_sparse(text: str) -> SparseEmbedding:
    """BM25-weighted sparse vector of a chunk (IDF comes from Qdrant at query time)."""
    indices, values = document_weights(text)
    return SparseEmbedding(indices=indices, values=values)


def query_sparse(text: str) -> SparseEmbedding:
    """Sparse vector of a query: weight 1.0 per distinct term."""
    indices = query_terms(text)
    return SparseEmbedding(indices=indices, values=[1.0] * len(indices))


@component
class LexicalDocumentEncoder:
    """Adds a BM25-weighted sparse vector (``Document.sparse_embedding``) to each chunk."""

    def __init__(self) -> None:
        self.version = LEXICAL_VERSION

    def warm_up(self) -> None:
        _stemmer()

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        # a chunk reused from the previous index (``VectorReuse``) keeps its vector
        return {"documents": [doc if doc.sparse_embedding is not None else replace(doc, sparse_embedding=document_sparse(embedding_text(doc)))
                              for doc in documents]}


@component
class LexicalTextEncoder:
    """Sparse vector of a query text, for Qdrant's sparse (IDF) search."""

    def __init__(self) -> None:
        self.version = LEXICAL_VERSION

    def warm_up(self) -> None:
        _stemmer()

    @component.output_types(sparse_embedding=SparseEmbedding)
    def run(self, text: str) -> dict[str, SparseEmbedding]:
        return {"sparse_embedding": query_sparse(text)}
