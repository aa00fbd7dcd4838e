#!/usr/bin/env bash
# doctest.sh - run the shell sessions shown in the guides and compare their output.
#
#   tests/doctest.sh FILE.md...          run every ```console block and check every
#                                        ```diff block; exit 1 if any differs
#   tests/doctest.sh --list FILE.md      print each block's commands (what would run)
#   tests/doctest.sh --match EXP ACT     does output file ACT match expected file EXP?
#
# In a ```console block a line starting "$ " is a command (a trailing "\" continues
# it on the next line); the lines after it, up to the next command or the end of
# the block, are its expected output. Within a line "..." matches any text; a line
# that is exactly "..." matches any number of lines (none too). Trailing blanks on
# a line and blank lines at the end of an output are ignored.
#
# A block that needs what some machines do not allow (a namespace, say) says so
# in its info string, as in ```console needs: unshare -ri true: that command
# runs first, as the block's commands do, and if it fails the block is not run
# but reported as "SKIP FILE:LINE: ..." with the command's own words; the file
# still passes if every other block does (tests/docs.bats then skips its test,
# giving that reason).
#
# A ```diff block is an excerpt of `make diff`: its info string names the two
# labs, as in ```diff 01 02 (GitHub colours it by the first word). A line that
# is "..." (or " ...") marks a gap; each run of lines between gaps must appear,
# whole and in the order shown, in the output of labs/tools/lab-diff.sh A B
# (what `make diff A=01 B=02` runs). Trailing blanks are ignored, nothing else
# is masked. ```text blocks and every other block are not checked.
#
# Each command runs as `bash -c COMMAND` from the repository root, stdin from
# /dev/null, stdout and stderr merged, under `timeout` (DOCTEST_TIMEOUT seconds,
# default 60), with TMPDIR unset as on a fresh Debian (a guide must not need it).
# The commands of one block share a fresh SHMLAB_IPC_PREFIX (shell variables do
# not carry over from one command to the next); after the block nothing may be
# left under that prefix in /dev/shm. (Without TMPDIR the labs' temp files go
# to /tmp, which other users' runs share, so they are not looked for here: each
# lab's own tests check that it leaves none.) If SHMLAB_BIN is set (e.g.
# build/san/bin), a
# command's "bin/" at its start or after a space or one of | ; & ( is replaced by it.
#
# Needs only bash, coreutils, awk, sed, diff.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# The matcher: expected lines (first file) against actual lines (second file).
# Pieces between "..." are matched left to right (first at the start, last at
# the end, the others leftmost in between), which is exact for such patterns;
# "..." lines are matched by dynamic programming over (expected, actual) pairs.
# shellcheck disable=SC2016 # an awk program: its $ are awk's
match_awk='
function trim_end(s) { sub(/[ \t\r]+$/, "", s); return s }
function line_matches(pat, s,    n, p, k, pos, first, last) {
	if (index(pat, "...") == 0)
		return pat == s
	n = split(pat, p, /\.\.\./)
	first = p[1]; last = p[n]
	if (substr(s, 1, length(first)) != first) return 0
	s = substr(s, length(first) + 1)
	if (length(s) < length(last) || substr(s, length(s) - length(last) + 1) != last) return 0
	s = substr(s, 1, length(s) - length(last))
	for (k = 2; k < n; k++) {
		if (p[k] == "") continue
		pos = index(s, p[k])
		if (pos == 0) return 0
		s = substr(s, pos + length(p[k]))
	}
	return 1
}
FNR == NR { e[++ne] = trim_end($0); next }
{ a[++na] = trim_end($0) }
END {
	while (ne > 0 && e[ne] == "") ne--
	while (na > 0 && a[na] == "") na--
	# ok[i, j]: expected lines i..ne match actual lines j..na
	for (j = 1; j <= na + 1; j++) ok[ne + 1, j] = (j == na + 1)
	for (i = ne; i >= 1; i--) {
		for (j = na + 1; j >= 1; j--) {
			if (e[i] ~ /^[ \t]*\.\.\.$/)
				ok[i, j] = ok[i + 1, j] || (j <= na && ok[i, j + 1])
			else
				ok[i, j] = j <= na && ok[i + 1, j + 1] && line_matches(e[i], a[j])
		}
	}
	exit ok[1, 1] ? 0 : 1
}'

# Output matches expectation? (both are files)
matches() {
	awk "$match_awk" "$1" "$2"
}

# Split FILE's ```console blocks into DIR/B/{line,N.cmd,N.line,N.exp}: B counts
# blocks from 1, N the commands in a block from 1.
extract() {
	local file=$1 dir=$2
	awk -v dir="$dir" '
	function put(name, text) { printf "%s\n", text >> (dir "/" b "/" name); close(dir "/" b "/" name) }
	function start_cmd(text) { n++; put(n ".line", FNR); cont = text ~ /\\$/; put(n ".cmd", text) }
	!inblock && /^ *```console([ \t]+needs:.*)?[ \t]*$/ {
		inblock = 1; b++; n = 0; cont = 0
		match($0, /^ */); indent = RLENGTH
		system("mkdir -p \"" dir "/" b "\"")
		put("line", FNR)
		if (sub(/^ *```console[ \t]+needs:[ \t]*/, "")) { sub(/[ \t]+$/, ""); put("needs", $0) }
		next
	}
	inblock && /^ *```[ \t]*$/ { inblock = 0; next }
	inblock {
		line = $0
		if (indent > 0 && substr(line, 1, indent) ~ /^ *$/) line = substr(line, indent + 1)
		if (cont) { cont = line ~ /\\$/; put(n ".cmd", line); next }
		if (line ~ /^\$ /) { start_cmd(substr(line, 3)); next }
		if (n == 0) { if (line !~ /^[ \t]*$/) put("stray", FNR ": " line); next }
		put(n ".exp", line)
	}
	END { if (inblock) { print FILENAME ": a ```console block is not closed" > "/dev/stderr"; exit 1 } }
	' "$file"
}

# The command as it runs: SHMLAB_BIN in place of bin/.
rewrite() {
	if [ -n "${SHMLAB_BIN:-}" ] && [ "$SHMLAB_BIN" != bin ]; then
		sed -E "s#(^|[[:space:]|;&(])bin/#\\1${SHMLAB_BIN%/}/#g"
	else
		cat
	fi
}

indent() { sed 's/^/    /'; }

# Run block DIR of FILE; print what differed; status 0 if it all matched.
run_block() {
	local file=$1 dir=$2 n cmd status failed=0 left path
	local where tmp
	where="$file:$(cat "$dir/line")"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/doctest.XXXXXX") || return 1
	local prefix="shmlabdoc-$$-${dir##*/}-$RANDOM"

	if [ -f "$dir/needs" ]; then
		local needs why
		needs=$(cat "$dir/needs")
		if ! why=$(cd "$root" && unset TMPDIR && SHMLAB_IPC_PREFIX=$prefix \
			timeout -k 5 "${DOCTEST_TIMEOUT:-60}" bash -c "$needs" </dev/null 2>&1); then
			echo "SKIP $where: it needs \`$needs\`, which fails here: ${why:-no message}" | head -n 1
			rm -rf "$tmp"
			return 0
		fi
	fi
	if [ -f "$dir/stray" ]; then
		echo "FAIL $where: output before the first \"\$ \" command:"
		indent <"$dir/stray"
		failed=1
	fi
	for ((n = 1; ; n++)); do
		[ -f "$dir/$n.cmd" ] || break
		[ -f "$dir/$n.exp" ] || : >"$dir/$n.exp"
		cmd=$(rewrite <"$dir/$n.cmd")
		status=0
		asan=${ASAN_OPTIONS:-} # LeakSanitizer cannot work under ptrace: a sanitized lab under strace would fail
		[[ $cmd != *strace* ]] || asan="${asan:+$asan:}detect_leaks=0"
		(cd "$root" && unset TMPDIR && export ASAN_OPTIONS=$asan && SHMLAB_IPC_PREFIX=$prefix \
			timeout -k 5 "${DOCTEST_TIMEOUT:-60}" bash -c "$cmd" </dev/null >"$tmp.out" 2>&1) || status=$?
		if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
			echo "FAIL $file:$(cat "$dir/$n.line"): timed out after ${DOCTEST_TIMEOUT:-60} s:"
			echo "  \$ $cmd"
			failed=1
		elif ! matches "$dir/$n.exp" "$tmp.out"; then
			echo "FAIL $file:$(cat "$dir/$n.line"): the output differs (exit status $status)"
			echo "  command:"
			indent <<<"\$ $cmd"
			echo "  expected:"
			indent <"$dir/$n.exp"
			echo "  actual:"
			indent <"$tmp.out"
			echo "  diff (expected -> actual; \"...\" lines and masks show up here too):"
			diff -u "$dir/$n.exp" "$tmp.out" | tail -n +3 | indent
			failed=1
		fi
	done
	# What the block left behind is reported, then removed.
	left=$(find /dev/shm -maxdepth 1 -name "*${prefix}.*" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "FAIL $where: the block left behind:"
		indent <<<"$left"
		while IFS= read -r path; do rm -f -- "$path"; done <<<"$left"
		failed=1
	fi
	rm -rf "$tmp" "$tmp.out"
	[ "$failed" -eq 0 ] && echo "ok   $where"
	return "$failed"
}

# Split FILE's ```diff blocks into DIR/B/{line,labs,exp}.
extract_diffs() {
	awk -v dir="$1" '
	function put(name, text) { printf "%s\n", text >> (dir "/" b "/" name); close(dir "/" b "/" name) }
	!inblock && /^ *```diff([ \t].*)?$/ {
		inblock = 1; b++
		match($0, /^ */); indent = RLENGTH
		system("mkdir -p \"" dir "/" b "\"")
		put("line", FNR)
		labs = $0; sub(/^ *```diff[ \t]*/, "", labs); sub(/[ \t]+$/, "", labs)
		put("labs", labs)
		next
	}
	inblock && /^ *```[ \t]*$/ { inblock = 0; next }
	inblock {
		line = $0
		if (indent > 0 && substr(line, 1, indent) ~ /^ *$/) line = substr(line, indent + 1)
		put("exp", line)
	}
	END { if (inblock) { print FILENAME ": a ```diff block is not closed" > "/dev/stderr"; exit 1 } }
	' "$2"
}

# Each run of excerpt lines between "..." gaps is found whole in the real
# diff, after the run before it (the leftmost place, which is exact for
# ordered runs). Prints the block line (from 1) of the first run not found.
# shellcheck disable=SC2016 # an awk program: its $ are awk's
excerpt_awk='
function trim_end(s) { sub(/[ \t\r]+$/, "", s); return s }
FNR == NR { e[++ne] = trim_end($0); next }
{ a[++na] = trim_end($0) }
END {
	j = 1
	for (i = 1; i <= ne; ) {
		if (e[i] ~ /^ ?\.\.\.$/) { i++; continue }
		for (k = i; k <= ne && e[k] !~ /^ ?\.\.\.$/; k++) ;
		# the run is e[i..k-1]: find it at or after a[j]
		found = 0
		for (s = j; !found && s + (k - i) - 1 <= na; s++) {
			for (m = 0; m < k - i && e[i + m] == a[s + m]; m++) ;
			if (m == k - i) { found = 1; j = s + m }
		}
		if (!found) { print i; exit 1 }
		i = k
	}
}'

check_diff_block() {
	local file=$1 dir=$2 where labs real bad
	where="$file:$(cat "$dir/line")"
	labs=$(cat "$dir/labs")
	if ! [[ $labs =~ ^([0-9][0-9])\ ([0-9][0-9])$ ]]; then
		echo "FAIL $where: a \`\`\`diff block names the two labs it excerpts, e.g. \`\`\`diff 01 02 (this one: '$labs')"
		return 1
	fi
	local a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]}
	[ -f "$dir/exp" ] || : >"$dir/exp"
	if ! real=$(cd "$root" && labs/tools/lab-diff.sh "$a" "$b" 2>&1); then
		echo "FAIL $where: make diff A=$a B=$b failed:"
		indent <<<"$real"
		return 1
	fi
	if ! bad=$(awk "$excerpt_awk" "$dir/exp" - <<<"$real"); then
		echo "FAIL $where: not in make diff A=$a B=$b, from line $bad of the excerpt:"
		awk -v from="$bad" 'NR >= from { if ($0 ~ /^ ?\.\.\.$/) exit; print }' "$dir/exp" | indent
		return 1
	fi
	echo "ok   $where"
}

run_file() {
	local file=$1 work b failed=0 blocks=0
	[ -f "$file" ] || { echo "FAIL $file: no such file"; return 1; }
	work=$(mktemp -d "${TMPDIR:-/tmp}/doctest-blocks.XXXXXX") || return 1
	extract "$file" "$work" || failed=1
	for ((b = 1; ; b++)); do
		[ -d "$work/$b" ] || break
		blocks=$b
		run_block "$file" "$work/$b" || failed=1
	done
	mkdir -p "$work/diff"
	extract_diffs "$work/diff" "$file" || failed=1
	for ((b = 1; ; b++)); do
		[ -d "$work/diff/$b" ] || break
		blocks=$((blocks + 1))
		check_diff_block "$file" "$work/diff/$b" || failed=1
	done
	[ "$blocks" -gt 0 ] || echo "--   $file: no console blocks"
	rm -rf "$work"
	return "$failed"
}

list_file() {
	local work b n
	work=$(mktemp -d "${TMPDIR:-/tmp}/doctest-blocks.XXXXXX") || return 1
	extract "$1" "$work"
	for ((b = 1; ; b++)); do
		[ -d "$work/$b" ] || break
		echo "$1:$(cat "$work/$b/line"): console block"
		for ((n = 1; ; n++)); do
			[ -f "$work/$b/$n.cmd" ] || break
			echo "  \$ $(rewrite <"$work/$b/$n.cmd")"
		done
	done
	rm -rf "$work"
}

case ${1:-} in
-h | --help)
	sed -n '2,7s/^# \{0,1\}//p' "$0"
	exit 0
	;;
--list)
	[ $# -eq 2 ] || { echo "usage: doctest.sh --list FILE.md" >&2; exit 2; }
	list_file "$2"
	;;
--match)
	[ $# -eq 3 ] || { echo "usage: doctest.sh --match EXPECTED ACTUAL" >&2; exit 2; }
	matches "$2" "$3"
	;;
'' | -*)
	echo "usage: doctest.sh FILE.md... | --list FILE.md | --match EXPECTED ACTUAL" >&2
	exit 2
	;;
*)
	status=0
	for f in "$@"; do
		run_file "$f" || status=1
	done
	exit "$status"
	;;
esac
