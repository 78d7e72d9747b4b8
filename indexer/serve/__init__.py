"""``rbh serve``: the right runbook section arrives with the alert.

A long-running HTTP service (Starlette on uvicorn) that keeps the index, the alert catalog and the
runbooks' health warm (``warm``), turns Alertmanager webhook deliveries into one enriched chat
message per group (``chat``) delivered through per-target queues with retries (``notify``), and
answers ``rbh ask`` over HTTP and on a small search page (``app``). It suggests; it never runs
anything. Starlette, uvicorn and prometheus_client come with the ``serve`` extra.
"""
