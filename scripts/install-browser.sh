#!/bin/sh
# Installs the headless browser the browser tests drive (Debian's `chromium`), when it is missing.
# Exit 0: /usr/bin/chromium is there. Exit 1: it is not and could not be installed here (not root,
# no apt-get, or the install failed); the browser tests then skip and say why.
set -u

BROWSER=/usr/bin/chromium

if [ -x "$BROWSER" ]; then
  echo "install-browser: $BROWSER is already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser: $BROWSER is missing and this is not root; install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: $BROWSER is missing and apt-get is not available; install Chromium at $BROWSER by hand" >&2
  exit 1
fi

# Without recommends, to stay small; one font package so pages (and screenshots) render text.
echo "install-browser: installing chromium with apt-get (at most 10 minutes)"
export DEBIAN_FRONTEND=noninteractive
if ! timeout 600 sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core' >/tmp/install-browser.log 2>&1; then
  echo "install-browser: apt-get could not install chromium; see /tmp/install-browser.log" >&2
  tail -n 5 /tmp/install-browser.log >&2
  exit 1
fi

if [ -x "$BROWSER" ]; then
  echo "install-browser: installed $BROWSER"
  exit 0
fi
echo "install-browser: apt-get finished but $BROWSER is still missing" >&2
exit 1
