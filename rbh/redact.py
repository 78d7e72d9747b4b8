"""Keep secrets out of output and logs: one policy for text, JSON and log lines.

The values of the environment variables that may hold an API key (``rbh.config.key_env_names``:
the fixed names, plus any the user allowed from the environment) are replaced with ``***``, and so
is anything that looks like ``Bearer <token>`` or ``api_key=<token>``.

* ``redact(text)`` for one string (a message, a log line, a whole terminal text);
* ``redact_data(obj)`` walks dicts, lists and tuples and redacts every string in them, keys
  included, *before* the data is serialised: a replace over serialised JSON could cut an escape
  sequence in half or turn ``"value": null`` into ``"value": ***`` when a key happens to be
  ``null`` (red-team finding), and the output would no longer parse.

Values shorter than ``MIN_SECRET_CHARS`` or in ``COMMON_VALUES`` (``null``, ``changeme`` ...) are
skipped: they are not secrets worth hiding, and replacing them everywhere would mangle ordinary
words in the output.
"""

from __future__ import annotations

import os
import re
from typing import Any

#: Variables always treated as secret, whatever the config says (the fixed key names; rbh.config
#: adds the names the user allowed through the environment).
SECRET_ENV_VARS: set[str] = {"RBH_QDRANT_API_KEY", "RBH_LLM_API_KEY", "OPENAI_API_KEY", "QDRANT_API_KEY"}
MIN_SECRET_CHARS = 8
COMMON_VALUES = frozenset({
    "null", "none", "true", "false", "undefined", "changeme", "change-me", "password", "secret", "example",
    "placeholder", "your-api-key", "your_api_key", "api-key", "apikey", "no-key", "dummy", "test", "testing",
    "xxxxxxxx", "********", "redacted", "<redacted>", "localhost",
})
_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"'=:\s]+)([A-Za-z0-9._\-]{8,})")


def register_secret_env(name: str | None) -> None:
    """Treat the value of environment variable *name* as a secret from now on."""
    if name:
        SECRET_ENV_VARS.add(name)


def _worth_hiding(value: str) -> bool:
    v = value.strip()
    return len(v) >= MIN_SECRET_CHARS and v.lower() not in COMMON_VALUES


def secret_values() -> list[str]:
    """The secret values set in this environment, longest first (so a key that contains another wins)."""
    vals = {os.environ.get(n, "") for n in SECRET_ENV_VARS}
    return sorted((v for v in vals if _worth_hiding(v)), key=len, reverse=True)


def redact(text: str, values: list[str] | None = None) -> str:
    """*text* with every secret value and bearer-like token replaced with ``***``.

    *values* are the secret values to hide (default: ``secret_values()``, read now); callers that
    redact many strings in a row read them once and pass them.
    """
    if not isinstance(text, str) or not text:
        return text
    for v in secret_values() if values is None else values:
        if v in text:
            text = text.replace(v, "***")
    return _BEARER.sub(lambda m: m.group(1) + "***", text)


def redact_data(obj: Any, values: list[str] | None = None) -> Any:
    """A copy of *obj* (dicts, lists, tuples, strings, scalars) with every string redacted."""
    if values is None:
        values = secret_values()
    if isinstance(obj, str):
        return redact(obj, values)
    if isinstance(obj, dict):
        return {redact_data(k, values): redact_data(v, values) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(redact_data(v, values) for v in obj)
    return obj
