"""Keep secrets out of output and logs.

Values of the environment variables that hold API keys are replaced with ``***`` wherever rbh
prints an error or a log line. The list grows with the config (``store.api_key_env``,
``llm.api_key_env``).
"""

from __future__ import annotations

import logging
import os
import re

SECRET_ENV_VARS: set[str] = {"RBH_QDRANT_API_KEY", "RBH_LLM_API_KEY", "OPENAI_API_KEY", "QDRANT_API_KEY"}
_BEARER = re.compile(r"(?i)(bearer\s+|api[_-]?key[\"'=:\s]+)([A-Za-z0-9._\-]{8,})")


def register_secret_env(name: str | None) -> None:
    if name:
        SECRET_ENV_VARS.add(name)


def secret_values() -> list[str]:
    vals = [os.environ.get(n, "") for n in SECRET_ENV_VARS]
    return sorted({v for v in vals if len(v) >= 4}, key=len, reverse=True)


def redact(text: str) -> str:
    for v in secret_values():
        text = text.replace(v, "***")
    return _BEARER.sub(lambda m: m.group(1) + "***", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True
