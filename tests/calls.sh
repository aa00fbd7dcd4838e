#!/usr/bin/env bash
# calls.sh - is a lab's "Calls:" line true? Each call it names must be made in
# the lab's own sources, so that a student can find it there (STYLE.md).
#
#   tests/calls.sh LABDIR...       e.g. labs/02-shared-race; exit 1 if one is not
#   tests/calls.sh --list LABDIR   the names the Calls line gives, one a line
#
# The Calls line is in the header comment of the lab's main file (02-shared-race:
# shared-race.c). It runs on over the comment lines that follow, up to a blank
# comment line, the end of the comment, or another label (" * Knobs:"). Notes in
# parentheses are dropped, "(O_CREAT|O_EXCL, 0600)"; the rest is split on commas,
# semicolons, "/", "+" and blanks, and every word that looks like a function name
# (an identifier, not an ALL_CAPS constant) is a call. A call counts as made if
# its name, or its wrapper's (the name capitalised: Sem_open for sem_open), is
# followed by "(" in the lab's .c or .h files, outside comments and strings.
# So "the rest as in 09" fails: the, rest, as and in are not called here.
set -uo pipefail

me=calls

# The text of the Calls line and its continuation lines, notes still in it.
calls_text() {
	awk '
	FNR == 1 && $0 !~ /^\/\*/ { exit }
	in_calls {
		if ($0 ~ /\*\// || $0 ~ /^ \*[ \t]*$/ || $0 ~ /^ \* [A-Za-z][A-Za-z -]*:/) exit
		sub(/^ \*/, ""); text = text " " $0; next
	}
	/^ \* Calls:/ { in_calls = 1; found = 1; sub(/^ \* Calls:/, ""); text = $0; next }
	/\*\// { exit }
	END { if (found) print text; exit !found }
	' "$1"
}

# The names in a Calls text, one a line; status 1 if its parentheses do not pair.
call_names() {
	awk '{
		s = $0
		while (gsub(/\([^()]*\)/, " ", s)) {}
		if (s ~ /[()]/) { print "unpaired parenthesis in: " $0 > "/dev/stderr"; exit 1 }
		n = split(s, w, /[,;\/+ \t]+/)
		for (i = 1; i <= n; i++) {
			sub(/[.:]+$/, "", w[i])
			if (w[i] ~ /^[A-Za-z_][A-Za-z0-9_]*$/ && w[i] !~ /^[A-Z0-9_]+$/) print w[i]
		}
	}'
}

# C source with comments and string and character literals blanked out.
code_only() {
	awk '{
		out = ""; s = $0; n = length(s); i = 1; quote = ""
		while (i <= n) {
			c = substr(s, i, 1); c2 = substr(s, i, 2)
			if (in_comment) { if (c2 == "*/") { in_comment = 0; i += 2 } else i++; continue }
			if (quote != "") {
				if (c == "\\") i += 2
				else { if (c == quote) quote = ""; i++ }
				continue
			}
			if (c2 == "/*") { in_comment = 1; out = out " "; i += 2; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "'\''") { quote = c; out = out " "; i++; continue }
			out = out c; i++
		}
		print out
	}' "$@"
}

main_file() {
	local dir=${1%/} base
	base=$(basename "$dir")
	echo "$dir/${base#[0-9][0-9]-}.c"
}

# Check one lab: "ok LAB" or "FAIL LAB: ..."; status 1 on failure.
check_lab() {
	local dir=${1%/} main text names name missing=() sources=()
	main=$(main_file "$dir")
	if [ ! -f "$main" ]; then
		echo "FAIL $dir: no main file $main"
		return 1
	fi
	if ! text=$(calls_text "$main"); then
		echo "FAIL $main: no \" * Calls:\" line in its header comment"
		return 1
	fi
	if ! names=$(call_names <<<"$text" 2>&1); then
		echo "FAIL $main: $names"
		return 1
	fi
	if [ -z "$names" ]; then
		echo "FAIL $main: the Calls line names no call"
		return 1
	fi
	mapfile -t sources < <(find "$dir" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) | sort)
	local code
	code=$(code_only "${sources[@]}")
	while IFS= read -r name; do
		grep -Eq "(^|[^A-Za-z0-9_])(${name}|${name^})\\(" <<<"$code" || missing+=("$name")
	done <<<"$names"
	if [ ${#missing[@]} -gt 0 ]; then
		echo "FAIL $main: the Calls line names what $dir does not call: ${missing[*]}"
		return 1
	fi
	echo "ok   $main: $(paste -sd ' ' - <<<"$names")"
}

case ${1:-} in
-h | --help)
	sed -n '2,6s/^# \{0,1\}//p' "$0"
	exit 0
	;;
--list)
	[ $# -eq 2 ] || { echo "usage: $me.sh --list LABDIR" >&2; exit 2; }
	text=$(calls_text "$(main_file "$2")") || { echo "$me: no Calls line in $(main_file "$2")" >&2; exit 1; }
	call_names <<<"$text"
	;;
'' | -*)
	echo "usage: $me.sh LABDIR... | --list LABDIR" >&2
	exit 2
	;;
*)
	status=0
	for d in "$@"; do
		check_lab "$d" || status=1
	done
	exit "$status"
	;;
esac
