"""Custom Haystack components of the indexer (each loads models or clients in ``warm_up()``)."""

from indexer.components.chunker import HeadingChunker
from indexer.components.dense import WordLlamaDocumentEmbedder, WordLlamaTextEmbedder
from indexer.components.lexical import LexicalDocumentEncoder, LexicalTextEncoder, query_sparse, tokenize
from indexer.components.source import GitRunbookLoader

__all__ = [
    "GitRunbookLoader",
    "HeadingChunker",
    "LexicalDocumentEncoder",
    "LexicalTextEncoder",
    "WordLlamaDocumentEmbedder",
    "WordLlamaTextEmbedder",
    "query_sparse",
    "tokenize",
]
