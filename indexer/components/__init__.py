"""Custom Haystack components of the indexer (each loads models or clients in ``warm_up()``).

Names are resolved lazily (PEP 562): importing ``indexer.components.terms`` or
``indexer.components.wordllama_model`` on the query path must not import Haystack.
"""

from importlib import import_module

_WHERE = {
    "GitRunbookLoader": "source",
    "HeadingChunker": "chunker",
    "LexicalDocumentEncoder": "lexical",
    "LexicalTextEncoder": "lexical",
    "WordLlamaDocumentEmbedder": "dense",
    "WordLlamaTextEmbedder": "dense",
    "query_sparse": "lexical",
    "tokenize": "terms",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"rbh.indexer.components.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'rbh.indexer.components' has no attribute {name!r}")
