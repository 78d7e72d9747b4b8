"""Retrieval: Haystack components and pipelines over Qdrant."""
