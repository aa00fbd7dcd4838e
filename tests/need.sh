#!/usr/bin/env bash
# Make sure a command is there: tests/need.sh COMMAND DEBIAN-PACKAGE
# Installs the package when we are root with apt; otherwise prints the exact
# command to run and fails.
set -u
cmd=$1 pkg=$2
command -v "$cmd" >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "need.sh: installing $pkg for $cmd"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; }
fi
command -v "$cmd" >/dev/null && exit 0
echo "need.sh: $cmd is missing: sudo apt-get install $pkg" >&2
exit 1
