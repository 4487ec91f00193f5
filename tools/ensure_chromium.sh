#!/bin/sh
# Install Debian's Chromium for the browser tests if it is not there yet.
# (Playwright's own browser download cannot work here; the tests use /usr/bin/chromium.)
set -e
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
