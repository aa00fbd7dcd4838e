#!/usr/bin/env bash
# lab-diff.sh - what one lab adds to another: diff -u of their C sources.
#
#   labs/tools/lab-diff.sh [--code] A B     e.g. 02 03, or 2 3, or 02-shared-race 03
#
# --code leaves out each file's leading header comment (the /* ... */ it
# begins with), so only code and the comments in it are compared; hunk line
# numbers then count from the line after that comment.
#
# On a terminal the diff is in colour (diff --color); into a pipe or a file
# it is plain text, as is with NO_COLOR set or TERM=dumb.
#
# A lab's sources are its .c and .h files. Two labs of one file each are
# compared file to file; otherwise each lab is compared as all its sources in
# name order, each under a "/* ==== FILE ==== */" line. Exit 0 whether or not
# the labs differ; 2 if a lab does not exist.
# `make diff A=02 B=03` runs this; `make diff A=02 B=03 CODE=1` adds --code.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

me=lab-diff
usage="usage: $me [--code] A B   (two lab numbers, e.g. $me 02 03)"

code=
case ${1:-} in
-h | --help) echo "$usage"; exit 0 ;;
--code) code=1; shift ;;
esac
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

# A source as compared: with --code, without the comment it begins with.
text_of() {
	if [ -n "$code" ]; then
		awk 'NR == 1 && !/^\/\*/ { body = 1 }
		     body { print; next }
		     /\*\// { body = 1 }' "$1"
	else
		cat -- "$1"
	fi
}

# All of a lab's sources as one text, each under its name.
joined() {
	local f
	while IFS= read -r f; do
		printf '/* ==== %s ==== */\n' "$f"
		text_of "$f"
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

color=never
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ] && color=always

status=0
if [ ${#fa[@]} -eq 1 ] && [ ${#fb[@]} -eq 1 ]; then
	diff -u --color="$color" --label "${fa[0]}" --label "${fb[0]}" <(text_of "${fa[0]}") <(text_of "${fb[0]}") || status=$?
else
	diff -u --color="$color" --label "$a/*.[ch]" --label "$b/*.[ch]" <(joined "$a") <(joined "$b") || status=$?
fi
# diff says 1 when the files differ: that is the lesson, not a failure.
[ "$status" -le 1 ] || exit "$status"
exit 0
