"""Retrieval: Haystack components and pipelines over Qdrant."""

import os

# Haystack sends usage telemetry by default; rbh runs on-call tooling offline and must not phone home.
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
