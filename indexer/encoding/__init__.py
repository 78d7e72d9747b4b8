"""What chunks and queries are encoded as, free of Haystack: the lexical terms (``terms``), the
WordLlama model (``wordllama_model``) and the key under which a chunk's vectors are reused
(``vectors``).

Below both the store (which records the model signature and hands stored vectors back for reuse)
and the Haystack components (which encode through these), so neither imports the other's way round.
"""
