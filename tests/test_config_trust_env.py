"""One opt-in for URLs that come from the repository: ``RBH_TRUST_REPO_URLS=1`` (keys to ``store.url``
and ``llm.base_url`` from rbh.yaml, and ``rbh serve`` posting to ``serve.webhooks``). The old
serve-only ``RBH_SERVE_ALLOW_REPO_WEBHOOKS=1`` still allows the webhooks, with a deprecation notice,
and never more than that."""

from __future__ import annotations

import logging

from ask_support import cli


def test_one_opt_in_covers_repo_webhooks_and_the_old_name_still_works_with_a_notice(caplog):
    from rbh.config import trust_repo_urls, trust_repo_webhooks

    with caplog.at_level(logging.WARNING, logger="rbh.config"):
        assert trust_repo_webhooks({}) is False
        assert trust_repo_webhooks({"RBH_TRUST_REPO_URLS": "0"}) is False
        assert trust_repo_webhooks({"RBH_TRUST_REPO_URLS": "1"}) is True
        assert trust_repo_webhooks({"RBH_TRUST_REPO_URLS": "true", "RBH_SERVE_ALLOW_REPO_WEBHOOKS": "1"}) is True
    assert "deprecated" not in caplog.text
    with caplog.at_level(logging.WARNING, logger="rbh.config"):
        assert trust_repo_webhooks({"RBH_SERVE_ALLOW_REPO_WEBHOOKS": "1"}) is True
    assert caplog.text.count("RBH_SERVE_ALLOW_REPO_WEBHOOKS is deprecated and will be removed: set RBH_TRUST_REPO_URLS=1 instead") == 1
    # the old name allowed webhooks only: it sends no key to a URL from rbh.yaml
    assert trust_repo_urls({"RBH_SERVE_ALLOW_REPO_WEBHOOKS": "1"}) is False
    assert trust_repo_urls({"RBH_TRUST_REPO_URLS": "1"}) is True


def test_serve_help_names_the_one_variable():
    code, out, err = cli(["serve", "--help"])
    assert code == 0, err
    assert "RBH_TRUST_REPO_URLS=1" in " ".join(out.split()) and "RBH_SERVE_ALLOW_REPO_WEBHOOKS" not in out
