#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download).
set -u
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "make: installing Debian's chromium for the browser tests (apt-get)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || { echo "make: could not install chromium; browser tests will be skipped" >&2; exit 0; }
else
  echo "make: chromium is missing and this user cannot apt-get install it; browser tests will be skipped" >&2
  echo "make: install it with: sudo apt-get install chromium" >&2
fi
