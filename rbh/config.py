"""The config file: ``rbh.yaml`` (or ``.rbh.yaml``) at the root of the runbook repository.

One pydantic model, unknown keys rejected everywhere, loaded once per command. A validation error
names the file, the key and what was expected, on one line. Every key is optional; the defaults are
what the README documents.

The config file belongs to the repository, and the repository is untrusted (SECURITY.md): it may
come from a pull request. So it cannot choose which environment variable is sent as an API key,
and a server URL it names gets a key only after the user opts in. ``api_key`` below is the one
place that decides whether a key is sent, and where to.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rbh import yaml_load
from rbh.errors import ConfigError

log = logging.getLogger(__name__)

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
    api_key_env: str = Field("RBH_QDRANT_API_KEY", description="deprecated: only the fixed names, or one allowed by "
                             "RBH_QDRANT_API_KEY_ENV, are accepted (see rbh.config.api_key)")
    collection: str = "runbooks"
    shards: int = Field(1, ge=1)
    replicas: int = Field(1, ge=1)
    timeout: float = Field(10.0, gt=0)
    retries: int = Field(3, ge=0, le=10)

    @field_validator("api_key_env", mode="after")
    @classmethod
    def _allowed_store_key_env(cls, v: str, info) -> str:  # info: pydantic ValidationInfo
        return allowed_key_env("store", v, info.context)


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
    api_key_env: str = Field("RBH_LLM_API_KEY", description="deprecated: only the fixed names, or one allowed by "
                             "RBH_LLM_API_KEY_ENV, are accepted (see rbh.config.api_key)")
    timeout: float = Field(30.0, gt=0)
    max_answer_chars: int = Field(4000, ge=200)

    @field_validator("api_key_env", mode="after")
    @classmethod
    def _allowed_llm_key_env(cls, v: str, info) -> str:  # info: pydantic ValidationInfo
        return allowed_key_env("llm", v, info.context)


# ------------------------------------------------------------------------------------------------
# API keys: fixed variable names, sent only where the user says


Purpose = Literal["store", "llm"]
#: The variables a key is read from, per purpose, in order. Fixed here: the repository cannot add one.
KEY_ENV_NAMES: dict[str, tuple[str, ...]] = {
    "store": ("RBH_QDRANT_API_KEY", "QDRANT_API_KEY"),
    "llm": ("RBH_LLM_API_KEY", "OPENAI_API_KEY"),
}
#: The user (not the repository) may name one more variable per purpose through these, e.g.
#: ``RBH_LLM_API_KEY_ENV=AZURE_OPENAI_KEY``; a comma-separated list names several.
KEY_ENV_EXTENSION = {"store": "RBH_QDRANT_API_KEY_ENV", "llm": "RBH_LLM_API_KEY_ENV"}
#: ``RBH_TRUST_REPO_URLS=1``: the one opt-in for URLs that come from the repository's config: keys
#: go to ``store.url`` / ``llm.base_url`` from rbh.yaml, and ``rbh serve`` posts to ``serve.webhooks``.
TRUST_REPO_URLS_ENV = "RBH_TRUST_REPO_URLS"
#: The old, serve-only name of that opt-in: still honoured for ``serve.webhooks``, with a notice.
DEPRECATED_REPO_WEBHOOKS_ENV = "RBH_SERVE_ALLOW_REPO_WEBHOOKS"
_SETTING = {"store": "store.api_key_env", "llm": "llm.api_key_env"}


def key_env_names(purpose: Purpose, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The environment variables a key for *purpose* may be read from: the user's own first, then the fixed ones.

    Every name returned is registered with ``rbh.redact``, so its value never reaches output or logs.
    """
    from rbh.redact import register_secret_env

    env = os.environ if environ is None else environ
    extra = tuple(n.strip() for n in (env.get(KEY_ENV_EXTENSION[purpose]) or "").split(",") if n.strip())
    names = tuple(dict.fromkeys(extra + KEY_ENV_NAMES[purpose]))
    for n in names:
        register_secret_env(n)
    return names


def allowed_key_env(purpose: Purpose, name: str, context: dict | None = None) -> str:
    """*name* when it is one of ``key_env_names(purpose)``, else the default name, with a warning.

    A warning rather than a config error: ``rbh check`` and the docs site never send a key, so a
    stale or hostile line here must not fail them, and configs that copied the documented
    ``api_key_env: RBH_QDRANT_API_KEY`` keep working. The named variable is never read. The warning
    goes to ``context["warnings"]`` when the loader passes one (it names the file), else to the log.
    """
    names = key_env_names(purpose)
    if name in names:
        return name
    default = KEY_ENV_NAMES[purpose][0]
    message = (f"{_SETTING[purpose]}: {name} is ignored: the repository's config cannot choose which environment "
               f"variable is sent as an API key; the key is read from {' or '.join(f'${n}' for n in names)} (to use "
               f"another variable, set {KEY_ENV_EXTENSION[purpose]}={name} in your environment)")
    if context is not None and isinstance(context.get("warnings"), list):
        context["warnings"].append(message)
    else:
        log.warning("%s", message)
    return default


def is_loopback(host: str | None) -> bool:
    """``localhost``, ``127.0.0.0/8`` or ``::1``: traffic that never leaves this machine."""
    if not host:
        return False
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _env_true(env: Mapping[str, str], name: str) -> bool:
    return (env.get(name) or "").strip().lower() in ("1", "true", "yes", "on")


def trust_repo_urls(environ: Mapping[str, str] | None = None) -> bool:
    return _env_true(os.environ if environ is None else environ, TRUST_REPO_URLS_ENV)


def trust_repo_webhooks(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``rbh serve`` may post to the chat webhooks rbh.yaml lists: ``RBH_TRUST_REPO_URLS=1``,
    or the deprecated ``RBH_SERVE_ALLOW_REPO_WEBHOOKS=1`` (still works, with a one-line notice)."""
    env = os.environ if environ is None else environ
    if _env_true(env, TRUST_REPO_URLS_ENV):
        return True
    if _env_true(env, DEPRECATED_REPO_WEBHOOKS_ENV):
        log.warning("%s is deprecated and will be removed: set %s=1 instead (the same opt-in for every URL "
                    "that comes from rbh.yaml)", DEPRECATED_REPO_WEBHOOKS_ENV, TRUST_REPO_URLS_ENV)
        return True
    return False


@dataclass(frozen=True)
class ApiKey:
    """The decision for one request target: the key to send (or None) and why one was held back."""

    value: str | None
    env: str | None = None  # the variable the key was read from
    withheld: str | None = None  # one line: a key is set but will not be sent to this URL

    def __bool__(self) -> bool:
        return self.value is not None


def api_key(purpose: Purpose, url: str | None, *, url_from_repo: bool, config_env: str | None = None,
            environ: Mapping[str, str] | None = None) -> ApiKey:
    """Whether to send an API key for *purpose* (``"store"`` or ``"llm"``) to *url*, and which.

    The policy (SECURITY.md, "Secrets"):

    * the key is read from a fixed variable (``KEY_ENV_NAMES``) or one the user named through
      ``KEY_ENV_EXTENSION``; *config_env* (``store.api_key_env`` / ``llm.api_key_env``, already
      limited to those names when the config was loaded) only picks among them;
    * over plain ``http`` a key goes only to a loopback address;
    * when *url* comes from the repository's config (*url_from_repo*: ``store.url``, ``llm.base_url``
      as written in ``rbh.yaml``) rather than from a flag or the environment, a key is sent only
      when the user opted in with ``RBH_TRUST_REPO_URLS=1``.

    ``ApiKey.value`` is None when there is no key or it is withheld; ``ApiKey.withheld`` then says
    why, in one line, naming the variable (never its value). Callers should fail with that line
    rather than talk to the server without the key the user meant to send. The store's server
    adapter calls ``api_key("store", url, url_from_repo=..., config_env=cfg.store.api_key_env)``.
    """
    env = os.environ if environ is None else environ
    names = key_env_names(purpose, env)
    if config_env in names:
        names = (config_env, *(n for n in names if n != config_env))
    var = next((n for n in names if env.get(n)), None)
    if var is None:
        return ApiKey(None)
    parts = urlsplit(url or "")
    scheme, host = parts.scheme.lower(), parts.hostname
    shown = f"{scheme}://{host}" if host else (url or "(no URL)")
    if scheme not in ("http", "https") or not host:
        return ApiKey(None, var, f"${var} is not sent to {shown}: not an http(s) URL")
    if scheme == "http" and not is_loopback(host):
        return ApiKey(None, var, f"${var} is not sent over plain http to {host}: use https, or a loopback address")
    if url_from_repo and not trust_repo_urls(env):
        where = "store.url" if purpose == "store" else "llm.base_url"
        instead = "--qdrant-url or RBH_QDRANT_URL" if purpose == "store" else "RBH_LLM_BASE_URL"
        return ApiKey(None, var, f"${var} is not sent to {shown}, which comes from the repository's config ({where}): "
                                 f"set {TRUST_REPO_URLS_ENV}=1 to trust it, or give the URL with {instead}")
    return ApiKey(env[var], var)


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
    layout: Literal["auto", "mkdocs", "hugo", "middleman", "github", "gitlab"] = Field(
        "auto", description="how site.url maps a runbook path to its page: auto detects mkdocs.yml, a Hugo "
        "config, a Middleman config.rb with source/, or a github/gitlab URL (then site.url is the repository "
        "URL and pages are blob URLs)")
    content_dir: str | None = Field(None, description="Hugo content folder (default: contentDir of the Hugo config, else 'content')")


class ChatWebhookConfig(_Strict):
    """A chat webhook ``rbh serve`` posts enriched alerts to (see ``ServeConfig.webhooks``)."""

    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["slack", "mattermost", "rocketchat", "teams"] = "slack"
    url: str = Field(..., min_length=8, max_length=2000)


class ServeConfig(_Strict):
    """``rbh serve``. The bearer token's variable and, by default, the chat webhook URLs come from the
    environment or flags, never from this file: a pull request must not redirect alerts elsewhere."""

    host: str = "127.0.0.1"
    port: int = Field(8095, ge=1, le=65535)
    max_body_bytes: int = Field(1_000_000, ge=1024, description="bigger requests get 413")
    rate_limit_per_minute: int = Field(600, ge=1, description="requests per client address per minute, then 429")
    index_check_seconds: float = Field(30.0, ge=0.5, description="how often the index is reopened to pick up a new generation")
    notify_timeout: float = Field(5.0, gt=0, le=120, description="seconds per chat webhook call")
    notify_retries: int = Field(3, ge=0, le=10, description="retries of a failing chat webhook call, with backoff")
    notify_queue: int = Field(1000, ge=1, description="notifications waiting per chat target; beyond it they are dropped and logged")
    max_alerts_per_message: int = Field(10, ge=1, le=50)
    webhooks: list[ChatWebhookConfig] = Field(default_factory=list,
                                              description="used only with --allow-repo-webhooks (or RBH_TRUST_REPO_URLS=1)")


class Config(_Strict):
    runbooks: Globs = Field(default_factory=Globs)
    manifests: Globs = Field(default_factory=Globs)
    index: IndexConfig = Field(default_factory=IndexConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    ask: AskConfig = Field(default_factory=AskConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    site: SiteConfig = Field(default_factory=SiteConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)


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
        text = path.read_text(encoding="utf-8")
        try:  # rbh.yaml comes from the repository: bounded like every YAML rbh reads
            raw = yaml_load.safe_load(text, max_nodes=20_000, max_depth=50)
        except yaml.YAMLError as exc:
            raise yaml_load.precise_error(text, exc) from None
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
    warnings: list[str] = []
    try:
        config = Config.model_validate(raw, context={"warnings": warnings})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path.name, exc)) from None
    for w in warnings:
        log.warning("%s: %s", path.name, w)
    return config, path
