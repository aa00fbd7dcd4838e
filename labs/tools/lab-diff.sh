#!/usr/bin/env bash
# lab-diff.sh - what one lab adds to another: diff -u of their C sources.
#
#   labs/tools/lab-diff.sh [--code] [--new] A B   e.g. 02 03, or 2 3, or 02-shared-race 03
#
# --code leaves out each file's leading header comment (the /* ... */ it
# begins with), so only code and the comments in it are compared; hunk line
# numbers then count from the line after that comment.
#
# --new shows the files only one lab has whole (see below), instead of
# naming them.
#
# On a terminal the diff is in colour (diff --color); into a pipe or a file
# it is plain text, as is with NO_COLOR set or TERM=dumb.
#
# A lab's sources are its .c and .h files, compared file to file by role, so
# that what a lab changes in its main file reads as one diff, not mixed with
# the files it adds: main file to main file (the .c named after the lab without its
# number, as tests/calls.sh finds it: labs/16-lockfree-ring/lockfree-ring.c),
# header to header (the .h named so), then the others by name. A lab without
# such a file has the role filled by its only .c or .h, if it has one.
#
# A file only one lab has is not a change to anything, and a whole file of '+'
# lines would bury the lesson; so it is named last, in one line with its
# length and the command that shows it, "gone in B" for a file of A's only,
# then "new in B" for one of B's only:
#
#   new in 14-atomic-counter: compare.c (140 lines) - read it whole: less labs/14-atomic-counter/compare.c
#
# With --new it is shown whole in that place instead, as added
# (--- /dev/null) or removed (+++ /dev/null). Exit 0 whether or not the labs
# differ; 2 if a lab does not exist or the command line is wrong.
# `make diff A=02 B=03` runs this; CODE=1 adds --code, NEW=1 --new.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

me=lab-diff
usage="usage: $me [--code] [--new] A B   (two lab numbers, e.g. $me 02 03)"

die_usage() { printf '%s: %s\n%s\n' "$me" "$1" "$usage" >&2; exit 2; }

code=
new=
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) echo "$usage"; exit 0 ;;
	--code) code=1; shift ;;
	--new) new=1; shift ;;
	--) shift; break ;;
	-?*) die_usage "unknown option '$1'" ;;
	*) break ;;
	esac
done
if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
	die_usage "give two labs, e.g. make diff A=02 B=03"
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

# The lab's file of one role, EXT c for its main file, h for its header: the one
# named after the lab, else the only .EXT it has; nothing if neither.
role_file() {
	local dir=$1 ext=$2 only
	local named=$dir/${dir#labs/[0-9][0-9]-}.$ext
	if [ -f "$named" ]; then
		echo "$named"
		return
	fi
	mapfile -t only < <(sources "$dir" | grep "\.$ext\$")
	[ ${#only[@]} -ne 1 ] || echo "${only[0]}"
}

# A source as compared: with --code, without the comment it begins with; no
# file (the side a file is added to or removed from) is empty.
text_of() {
	if [ -z "$1" ]; then
		return
	elif [ -n "$code" ]; then
		awk 'NR == 1 && !/^\/\*/ { body = 1 }
		     body { print; next }
		     /\*\// { body = 1 }' "$1"
	else
		cat -- "$1"
	fi
}

a=$(lab_dir "$1") || exit 2
b=$(lab_dir "$2") || exit 2
mapfile -t fa < <(sources "$a")
mapfile -t fb < <(sources "$b")
if [ ${#fa[@]} -eq 0 ] || [ ${#fb[@]} -eq 0 ]; then
	echo "$me: no .c or .h file in $([ ${#fa[@]} -eq 0 ] && echo "$a" || echo "$b")" >&2
	exit 1
fi

# The pairs in the order shown: pa[i] in lab A against pb[i] in lab B, "" for
# a file the other lab does not have.
pa=() pb=()
declare -A paired=()
pair() {
	pa+=("$1") pb+=("$2")
	[ -z "$1" ] || paired[$1]=1
	[ -z "$2" ] || paired[$2]=1
}
for ext in c h; do
	x=$(role_file "$a" $ext) y=$(role_file "$b" $ext)
	[ -z "$x" ] || [ -z "$y" ] || pair "$x" "$y"
done
for x in "${fa[@]}"; do
	y=$b/${x##*/}
	[ -n "${paired[$x]:-}" ] || [ ! -f "$y" ] || [ -n "${paired[$y]:-}" ] || pair "$x" "$y"
done
for x in "${fa[@]}"; do
	[ -n "${paired[$x]:-}" ] || pair "$x" ""
done
for y in "${fb[@]}"; do
	[ -n "${paired[$y]:-}" ] || pair "" "$y"
done

color=never
[ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ] && color=always

# A file only one lab has, in one line: HOW (new or gone) in lab B, its name,
# its length, and where to read it.
name_only() {
	local how=$1 f=$2 n
	n=$(awk 'END { print NR }' "$f")
	printf '%s in %s: %s (%d line%s) - read it whole: less %s\n' \
		"$how" "${b#labs/}" "${f##*/}" "$n" "$([ "$n" -eq 1 ] || echo s)" "$f"
}

status=0
for i in "${!pa[@]}"; do
	x=${pa[i]} y=${pb[i]} s=0
	if [ -z "$new" ] && [ -z "$x" ]; then
		name_only new "$y"
		continue
	elif [ -z "$new" ] && [ -z "$y" ]; then
		name_only gone "$x"
		continue
	fi
	diff -u --color="$color" --label "${x:-/dev/null}" --label "${y:-/dev/null}" \
		<(text_of "$x") <(text_of "$y") || s=$?
	[ "$s" -le "$status" ] || status=$s
done
# diff says 1 when the files differ: that is the lesson, not a failure.
[ "$status" -le 1 ] || exit "$status"
exit 0
