"""Issue 14: the query side of retrieval, on the alert text shapes that made it drift: generated pod
suffixes, IPs, host names, measurements; word-pair (phrase) evidence for near-duplicate runbooks;
title words; the first sentence of a long description; integers as thresholds."""

from __future__ import annotations

from rbh.indexer.query import (Hit, clean_alert_text, first_sentence, merge_scores, phrase_overlap, phrase_words,
                           title_words, word_pairs)


def test_clean_alert_text_drops_rendered_values_and_keeps_thresholds():
    text = ("Pod payments/checkout-7d9f8b6c5-x2lqz on worker-2.prod.example.internal at 10.0.3.17:9100 "
            "uses 87.5% of its limit, crossed 75% for 12.35ms; job backup-28734567 failed, "
            "see the ssp.kubevirt.io/dict.architectures annotation.")
    assert clean_alert_text(text) == (
        "Pod payments/checkout on at uses of its limit, crossed 75% for ; job backup failed, "
        "see the ssp.kubevirt.io/dict.architectures annotation.")
    assert clean_alert_text("Some virt-api pods are running but not ready.") == "Some virt-api pods are running but not ready."


def test_word_pairs_tell_near_duplicates_apart():
    q = word_pairs(phrase_words("Some virt-api pods are running but not ready."))
    low_ready = "This alert fires when one or more `virt-api` pods are running, but not all of them have been Ready."
    no_ready = "This alert fires when no `virt-api` pod in a `Ready` state has been detected for 10 minutes."
    assert phrase_overlap(q, low_ready) > 0.5 > phrase_overlap(q, no_ready)


def test_title_words_split_camel_case_without_compounds():
    assert title_words("NodeFilesystemAlmostOutOfSpace") == {"node", "filesystem", "almost", "space"}
    assert title_words("etcdGRPCReadRequestsSlow") == {"etcd", "grpc", "read", "request", "slow"}


def test_first_sentence_only_for_long_multi_sentence_text():
    long = ("Deployment orders/orders-api has not matched the expected number of replicas for longer than 15 minutes. "
            "This indicates that cluster infrastructure is unable to start the necessary components.")
    assert first_sentence(long) == "Deployment orders/orders-api has not matched the expected number of replicas for longer than 15 minutes."
    assert first_sentence("Filesystem has less than 3% space left.") is None


def test_merge_scores_sums_per_section():
    a = [Hit("x", "", {}, 0.5), Hit("y", "", {}, 0.4)]
    b = [Hit("y", "", {}, 0.3), Hit("z", "", {}, 0.2)]
    assert [(h.id, round(h.score, 3)) for h in merge_scores(a, b, 1.0)] == [("y", 0.7), ("x", 0.5), ("z", 0.2)]
