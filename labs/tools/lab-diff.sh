#!/usr/bin/env bash
# lab-diff.sh - what one lab adds to another: diff -u of their C sources.
#
#   labs/tools/lab-diff.sh A B        e.g. 02 03, or 2 3, or 02-shared-race 03
#
# A lab's sources are its .c and .h files. Two labs of one file each are
# compared file to file; otherwise each lab is compared as all its sources in
# name order, each under a "/* ==== FILE ==== */" line. Exit 0 whether or not
# the labs differ; 2 if a lab does not exist.
# `make diff A=02 B=03` runs this.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

me=lab-diff
usage="usage: $me A B   (two lab numbers, e.g. $me 02 03)"

case ${1:-} in -h | --help) echo "$usage"; exit 0 ;; esac
if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
	printf '%s: give two labs, e.g. make diff A=02 B=03\n%s\n' "$me" "$usage" >&2
	exit 2
fi

# 2, 02 or 02-shared-race -> labs/02-shared-race
lab_dir() {
	local want=$1 d found=()
	[[ $want =~ ^[0-9]$ ]] && want=0$want
	for d in labs/"$want" labs/"$want"-*; do
		[[ $d =~ ^labs/[0-9][0-9]-[^/]+$ ]] && [ -d "$d" ] && found+=("$d")
	done
	if [ ${#found[@]} -ne 1 ]; then
		printf '%s: no lab %s (labs: %s)\n' "$me" "$1" \
			"$(find labs -mindepth 1 -maxdepth 1 -name '[0-9][0-9]-*' -printf '%f\n' | sort | paste -sd ' ' -)" >&2
		return 1
	fi
	echo "${found[0]}"
}

sources() {
	find "$1" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) -printf '%p\n' | sort
}

# All of a lab's sources as one text, each under its name.
joined() {
	local f
	while IFS= read -r f; do
		printf '/* ==== %s ==== */\n' "$f"
		cat -- "$f"
	done < <(sources "$1")
}

a=$(lab_dir "$1") || exit 2
b=$(lab_dir "$2") || exit 2
mapfile -t fa < <(sources "$a")
mapfile -t fb < <(sources "$b")
if [ ${#fa[@]} -eq 0 ] || [ ${#fb[@]} -eq 0 ]; then
	echo "$me: no .c or .h file in $([ ${#fa[@]} -eq 0 ] && echo "$a" || echo "$b")" >&2
	exit 1
fi

status=0
if [ ${#fa[@]} -eq 1 ] && [ ${#fb[@]} -eq 1 ]; then
	diff -u --label "${fa[0]}" --label "${fb[0]}" -- "${fa[0]}" "${fb[0]}" || status=$?
else
	diff -u --label "$a/*.[ch]" --label "$b/*.[ch]" <(joined "$a") <(joined "$b") || status=$?
fi
# diff says 1 when the files differ: that is the lesson, not a failure.
[ "$status" -le 1 ] || exit "$status"
exit 0
