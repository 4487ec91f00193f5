#!/bin/sh
# Install Debian's Chromium for the browser tests if it is not there yet.
# (Playwright's own browser download cannot work here; the tests use /usr/bin/chromium.)
set -e
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
sh "$(dirname "$0")/apt_install.sh" chromium
