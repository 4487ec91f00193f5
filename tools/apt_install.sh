#!/bin/sh
# Install Debian packages: sh tools/apt_install.sh PACKAGE...
# (apt-get, as root or through sudo; used by the ensure_*.sh scripts for what is missing.)
set -e
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
