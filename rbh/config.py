"""The config file: ``rbh.yaml`` (or ``.rbh.yaml``) at the root of the runbook repository.

One pydantic model, unknown keys rejected everywhere, loaded once per command. A validation error
names the file, the key and what was expected, on one line. Every key is optional; the defaults are
what the README documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rbh.errors import ConfigError

CONFIG_NAMES = ("rbh.yaml", "rbh.yml", ".rbh.yaml", ".rbh.yml")
Severity = Literal["error", "warning", "info"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Globs(_Strict):
    """Which files belong to a source: glob patterns relative to the repository root (``**`` spans folders)."""

    include: list[str] | None = None
    exclude: list[str] = Field(default_factory=list)

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


class IndexConfig(_Strict):
    ref: str = "HEAD"
    heading_levels: int = Field(3, ge=1, le=6, description="split sections at headings of this level and above")
    max_chunk_chars: int = Field(2000, ge=200)
    chunk_overlap_chars: int = Field(200, ge=0)
    model: str = Field("wordllama", description="dense model: 'wordllama', 'wordllama:<config>' or 'minilm' (extra)")
    dim: int = Field(256, ge=64, le=1024, description="dense vector size (wordllama supports 64..1024)")
    max_file_bytes: int = Field(5_000_000, ge=1000, description="bigger runbook files are skipped with a warning")
    cache_dir: str = Field(".rbh/remotes", description="where remote repositories are cloned")
    source: str | None = Field(None, description="index runbooks from this git URL or path instead of this repository")


class StoreConfig(_Strict):
    path: str = Field(".rbh/qdrant", description="embedded store location, relative to the repository root")
    url: str | None = Field(None, description="Qdrant server or cluster URL; env RBH_QDRANT_URL overrides")
    api_key_env: str = Field("RBH_QDRANT_API_KEY", description="name of the environment variable holding the API key")
    collection: str = "runbooks"
    shards: int = Field(1, ge=1)
    replicas: int = Field(1, ge=1)
    timeout: float = Field(10.0, gt=0)
    retries: int = Field(3, ge=0, le=10)


class AskConfig(_Strict):
    top_k: int = Field(5, ge=1, le=50)
    per_runbook: int = Field(1, ge=1, description="sections shown per runbook before another runbook gets a slot")
    min_score: float = Field(0.35, ge=0, le=1, description="below this relevance (the best section's dense cosine with the "
                             "question, or the squared share of the question's terms it contains) the answer "
                             "is 'no runbook matches'; 0 disables")
    alert_lookup: bool = True
    rerank: Literal["none", "cross-encoder", "llm"] = Field(
        "none", description="optional reranking of the free-text candidates: a local cross-encoder (rerank_model) "
        "or the configured LLM; off by default")
    rerank_model: str | None = Field(None, description="local folder of a sentence-transformers cross-encoder")
    rerank_candidates: int = Field(10, ge=2, le=50, description="how many runbooks the reranker orders")


class LLMConfig(_Strict):
    enabled: bool = False
    base_url: str = "http://127.0.0.1:11434/v1"
    model: str = "llama3.1"
    api_key_env: str = "RBH_LLM_API_KEY"
    timeout: float = Field(30.0, gt=0)
    max_answer_chars: int = Field(4000, ge=200)


class RunbookUrlConfig(_Strict):
    """How alert ``runbook_url`` annotations map onto runbook files."""

    prefixes: dict[str, str] = Field(default_factory=dict, description="URL prefix -> repository folder")
    case_insensitive: bool = False


class RuleConfig(_Strict):
    enabled: bool = True
    severity: Severity | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class CheckConfig(_Strict):
    fail_on: Severity = "error"
    format: str = "auto"
    baseline: str | None = Field(None, description="baseline file, relative to the repository root")
    rules: dict[str, RuleConfig] = Field(default_factory=dict)
    runbook_urls: RunbookUrlConfig = Field(default_factory=RunbookUrlConfig)
    catalog: list[str] = Field(default_factory=list, description="globs of Backstage catalog files")


class SiteConfig(_Strict):
    url: str | None = Field(None, description="public URL of the docs site, used in citations")
    layout: Literal["auto", "mkdocs", "hugo", "github", "gitlab"] = Field(
        "auto", description="how site.url maps a runbook path to its page: auto detects mkdocs.yml, a Hugo "
        "config, or a github/gitlab URL (then site.url is the repository URL and pages are blob URLs)")
    content_dir: str | None = Field(None, description="Hugo content folder (default: contentDir of the Hugo config, else 'content')")


class Config(_Strict):
    runbooks: Globs = Field(default_factory=Globs)
    manifests: Globs = Field(default_factory=Globs)
    index: IndexConfig = Field(default_factory=IndexConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    ask: AskConfig = Field(default_factory=AskConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    site: SiteConfig = Field(default_factory=SiteConfig)


def format_validation_error(source: str, err: ValidationError) -> str:
    """First problem of a pydantic error as ``file: key.path: message``."""
    first = err.errors()[0]
    key = ".".join(str(p) for p in first.get("loc", ())) or "(top level)"
    msg = first.get("msg", "invalid value")
    if first.get("type") == "extra_forbidden":
        msg = "unknown key"
    more = len(err.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return f"{source}: {key}: {msg}{suffix}"


def find_config(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        p = root / name
        if p.is_file():
            return p
    return None


def load_config(root: Path, path: Path | None = None) -> tuple[Config, Path | None]:
    """Load and validate the config file of the repository at *root* (defaults when there is none)."""
    path = path or find_config(root)
    if path is None:
        return Config(), None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{path.name}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: expected a mapping of settings at the top level")
    try:
        return Config.model_validate(raw), path
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path.name, exc)) from None
