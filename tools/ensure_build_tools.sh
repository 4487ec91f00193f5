#!/bin/sh
# Make sure `make setup` can run: a Python that makes virtual environments ($PYTHON, python3 by
# default; Debian leaves out ensurepip unless python3-venv is installed) and npm (the map's
# vendored scripts). Installs Debian's packages for what is missing; nothing when all is there.
set -e
PYTHON=${PYTHON:-python3}
missing=""
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    missing="python3 python3-venv"
elif ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    missing="python3-venv"
fi
if ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi
if [ -n "$missing" ]; then
    echo "ensure_build_tools: installing$(printf ' %s' $missing) from Debian's packages"
    sh "$(dirname "$0")/apt_install.sh" $missing
fi
