"""Which names a manifest change touches (``--changed-since`` follows them to the runbooks)."""

from __future__ import annotations

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from rbh.checks.changed import _SUBSTRING_NEEDLES, _changed_words, _mentions_any, _words

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
  labels: {app: cart}
spec:
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart, tier: backend}
    spec:
      containers:
        - name: app
          image: shop/cart:1.0
          ports: [{containerPort: 8080}]
        - name: sidecar
          image: envoy:1.29
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: payments
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: shop/payments:1.0
"""

RULES = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: shop-rules, namespace: monitoring}
spec:
  groups:
    - name: shop
      rules:
        - alert: CartDown
          expr: sum(up{job="cart"}) == 0
          labels: {severity: critical}
          annotations:
            summary: The cart is down and customers cannot pay
            runbook_url: https://runbooks.example.com/services/cart/
        - alert: PaymentsErrors
          expr: rate(payments_requests_total{code=~"5.."}[5m]) > 1
          labels: {severity: critical}
"""

COMPOSE = """\
services:
  cart:
    image: shop/cart
    ports: ["8080:8080"]
  redis:
    image: redis:7
"""


@pytest.mark.parametrize(
    "old, new, expected",
    [
        # A rename: both names, not the namespace every object states.
        (DEPLOY, DEPLOY.replace("name: cart\n", "name: cart-api\n", 1), {"cart", "cart-api"}),
        # A port: the port numbers and the object they belong to.
        (DEPLOY, DEPLOY.replace("8080", "8081"), {"8080", "8081", "cart", "app"}),
        # A container moved between deployments: both objects (the container itself is unchanged).
        (DEPLOY, DEPLOY.replace("        - name: sidecar\n          image: envoy:1.29\n", "")
                       .replace("image: shop/payments:1.0\n", "image: shop/payments:1.0\n        - name: sidecar\n          image: envoy:1.29\n"),
         {"cart", "payments"}),
        # An object moved to another namespace: now the namespaces count.
        (DEPLOY, DEPLOY.replace("  name: payments\n  namespace: shop", "  name: payments\n  namespace: billing"),
         {"payments", "shop", "billing"}),
        # A selector label: the label value and the object.
        (DEPLOY, DEPLOY.replace("tier: backend", "tier: api"), {"cart", "backend", "api"}),
        # An alert removed: its name, its metrics, its group and object; not its severity, summary or
        # runbook_url words.
        (RULES, RULES[: RULES.index("        - alert: PaymentsErrors")],
         {"paymentserrors", "payments_requests_total", "shop", "shop-rules"}),
        # A compose service renamed.
        (COMPOSE, COMPOSE.replace("  redis:", "  cache:"), {"redis", "cache", "cart"}),
        # A ConfigMap key renamed.
        ("kind: ConfigMap\nmetadata: {name: cart-config}\ndata:\n  TIMEOUT_MS: '10'\n",
         "kind: ConfigMap\nmetadata: {name: cart-config}\ndata:\n  TIMEOUT_SECONDS: '10'\n",
         {"cart-config", "timeout_ms", "timeout_seconds"}),
        # A new file and a deleted file: everything they state.
        ("", COMPOSE, {"cart", "redis", "8080"}),
        # Whitespace-only edits change nothing.
        (DEPLOY, DEPLOY.replace("labels: {app: cart}\nspec", "labels:\n    app: cart\nspec"), set()),
    ],
    ids=["rename", "port", "moved-container", "namespace-move", "selector", "alert-removed", "compose", "configmap-key",
         "new-file", "reformatted"],
)
def test_changed_names(old, new, expected):
    assert _changed_words(old, new) == expected


def test_an_unparsable_manifest_falls_back_to_the_words_on_changed_lines():
    old = "kind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n  replicas: {{ .Values.replicas }}\n"
    new = old.replace("replicas", "replicaCount")
    assert _changed_words(old, new) == {"replicas", "values.replicas", "replicacount", "values.replicacount"}


# --------------------------------------------------------------- which files mention a needle
# The scope search skips a file that holds no needle as a substring; it must decide exactly as
# tokenizing every file does.

_ALPHABET = "abcC.-_ 09İıΣσςK\u212a\n/"


@pytest.mark.parametrize(
    ("data", "needles", "expected"),
    [
        (b"See cart.shop.svc for details", {"shop"}, True),  # a dotted name counts by part
        (b"Our cartography team", {"cart"}, False),  # a substring that is not a word
        (b"Restart CART-API now", {"cart-api"}, True),  # case does not matter
        (b"Open runbook-00001.md", {"runbook-00001.md", "runbook-00001"}, True),
        (b"Open runbook-000012.md", {"runbook-00001.md", "runbook-00001"}, False),
        ("\u212aubectl: the Kelvin sign is not an ASCII letter".encode(), {"kubectl"}, False),
        (b"caf\xe9 \xe2\x82cart broken UTF-8 around a word", {"cart"}, True),
        (b"\xe2\x82", {"\ufffd"}, False),  # a replacement character is not a word
    ],
)
def test_a_file_mentions_a_needle_only_as_a_word(data, needles, expected):
    assert _mentions_any(data, needles) is expected
    assert _mentions_any(data, needles) == bool(_words(data.decode("utf-8", errors="replace")) & needles)


_PIECES = st.one_of(st.text(alphabet=_ALPHABET, max_size=8).map(str.encode), st.binary(max_size=4),
                    st.sampled_from([b"\xe2\x82", b"\xc3", b"\xff", b"\xe2\x84\xaa"]))


@settings(max_examples=300, deadline=None)
@given(data=st.lists(_PIECES, max_size=12).map(b"".join),
       needles=st.sets(st.text(alphabet="abc.-_09", min_size=1, max_size=6), max_size=_SUBSTRING_NEEDLES + 3))
def test_the_substring_shortcut_decides_as_tokenizing_does(data, needles):
    needles = {n.lower() for n in needles}
    assert _mentions_any(data, needles) == bool(_words(data.decode("utf-8", errors="replace")) & needles)
