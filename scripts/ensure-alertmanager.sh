#!/usr/bin/env bash
# The rbh serve end-to-end tests run Debian's real Alertmanager (prometheus-alertmanager) on loopback.
# Its service is not started: the tests run their own instance with a temporary config.
set -u
if command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "make: installing Debian's prometheus-alertmanager for the rbh serve tests (apt-get)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-alertmanager >/dev/null) \
    || { echo "make: could not install prometheus-alertmanager; the Alertmanager tests will be skipped" >&2; exit 0; }
else
  echo "make: prometheus-alertmanager is missing and this user cannot apt-get install it; the Alertmanager tests will be skipped" >&2
  echo "make: install it with: sudo apt-get install prometheus-alertmanager" >&2
fi
