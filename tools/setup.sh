#!/bin/sh
# tools/setup.sh — install the Debian packages ringsim needs, if any are missing.
#
# Run by `make` before building (make run, make test).  As root it installs
# with apt-get; otherwise it prints the exact command to run and fails.
# Why each package is here: see README.md, "Dependencies".
set -eu
PKGS="build-essential pkg-config libncurses-dev libreadline-dev libcriterion-dev \
libinih-dev libjansson-dev graphviz gnuplot-nox tmux binutils jq libxml2-utils nodejs zip unzip"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
echo "ringsim setup: missing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq --no-install-recommends $missing
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
else
    echo "ringsim setup: run this as root, then make again:"
    echo "    apt-get install -y$missing"
    exit 1
fi
