#!/usr/bin/env bash
# tests/valgrind-bin.sh REAL_BIN WRAP_BIN: for every program in REAL_BIN, write a
# script of the same name in WRAP_BIN that runs it under valgrind memcheck
# with a full leak check, exiting 99 on any error. The suite then runs with
# SHMLAB_BIN=WRAP_BIN, unchanged.
set -eu
real=$(cd "$1" && pwd)
mkdir -p "$2"
for prog in "$real"/*; do
	{ [ -f "$prog" ] && [ -x "$prog" ]; } || continue
	cat >"$2/$(basename "$prog")" <<WRAP
#!/bin/sh
exec valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
	--show-leak-kinds=definite,indirect --child-silent-after-fork=no "$prog" "\$@"
WRAP
	chmod +x "$2/$(basename "$prog")"
done
