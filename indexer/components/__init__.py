"""Custom Haystack components of the indexer (each loads models or clients in ``warm_up()``).

Names are resolved lazily (PEP 562), so that ``from rbh.indexer.components import tokenize`` does not
import Haystack. What the components encode with (terms, the WordLlama model, the reuse key) lives
in ``indexer.encoding``, below the store, which needs it too.
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
    "tokenize": "rbh.indexer.encoding.terms",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        where = _WHERE[name]
        return getattr(import_module(where if "." in where else f"rbh.indexer.components.{where}"), name)
    raise AttributeError(f"module 'rbh.indexer.components' has no attribute {name!r}")
