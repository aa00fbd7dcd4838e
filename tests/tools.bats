#!/usr/bin/env bats
# The instructor's kit in labs/tools/: race statistics, the race timeline,
# make diff between two labs, make clean-ipc, and lab 12's benchmark report.
# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
# shellcheck disable=SC2016 # the fake copiers' code is meant for their shell, not ours

load helper
bats_require_minimum_version 1.5.0

setup_file() { make_other_user shmlabc; } # for clean-ipc: another user's leftovers
teardown_file() { remove_other_user; }

setup() {
	shmlab_setup
	cd "$BATS_TEST_DIRNAME/.." || exit 1
	# clean-ipc looks for lab 08's segment keyed by $HOME: never the real user's here
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
}

teardown() {
	# System V segments a failed test made: they have no prefix to be found by
	local id key
	if [ -f "$BATS_TEST_TMPDIR/shmids" ]; then
		while read -r id key; do
			[ "$(segments_with_key "$key")" = "$id" ] && ipcrm -m "$id"
		done <"$BATS_TEST_TMPDIR/shmids"
	fi
	# a queue, and another user's segment, a clean-ipc test made
	[ ! -f "$BATS_TEST_TMPDIR/msqids" ] || ipcrm -q "$(cat "$BATS_TEST_TMPDIR/msqids")" 2>/dev/null || true
	[ ! -f "$BATS_TEST_TMPDIR/their-shmid" ] || ipcrm -m "$(cat "$BATS_TEST_TMPDIR/their-shmid")" 2>/dev/null || true
	# the processes a test keeps running on purpose (a pid a line): the one
	# whose pid a clean-ipc test's keys name, the helper test's look-alikes
	local p
	[ ! -f "$BATS_TEST_TMPDIR/sleeper" ] ||
		while read -r p; do kill "$p" 2>/dev/null || true; done <"$BATS_TEST_TMPDIR/sleeper"
	shmlab_teardown
}

# A stand-in counter lab in a bin directory of its own: run I prints the I-th
# of the given lost values as its result line (0 exits with status 1 instead).
fake_lab() {
	local dir=$BATS_TEST_TMPDIR/fakebin
	mkdir -p "$dir"
	cat >"$dir/99-fake" <<-EOF
		#!/usr/bin/env bash
		n=\$(cat "$dir/runs" 2>/dev/null || echo 0)
		echo \$((n + 1)) >"$dir/runs"
		lost=(${*})
		l=\${lost[n]%@*} ov=\${lost[n]#*@}
		[ "\$l" = fail ] && { echo "99-fake: it broke" >&2; exit 1; }
		case \${lost[n]} in
		*@-) echo "no overlap: the child's loop began 0.100 ms after the parent's had ended" ;;
		*@*) echo "overlap: the loops ran side by side for \$ov of 20.000 ms" ;;
		esac
		echo "result: counter=\$((2000 - l)) expected=2000 lost=\$l"
	EOF
	chmod +x "$dir/99-fake"
	echo "$dir"
}

# An SVG is well-formed: xmllint when there is one, else every tag closes in order.
assert_well_formed() {
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1" || fail "xmllint: $1 is not well-formed"
	fi
	run awk '
	{ doc = doc $0 "\n" }
	END {
		while (match(doc, /<[^>]*>/)) {
			tag = substr(doc, RSTART + 1, RLENGTH - 2); doc = substr(doc, RSTART + RLENGTH)
			if (tag ~ /^\?/ || tag ~ /\/$/) continue
			split(tag, w, /[ \t\n]/)
			if (tag ~ /^\//) {
				if (depth == 0 || stack[depth] != substr(w[1], 2)) { print "unexpected </" substr(w[1], 2) ">"; exit 1 }
				depth--
			} else {
				if (++opened == 1 && w[1] != "svg") { print "root is <" w[1] ">, not <svg>"; exit 1 }
				stack[++depth] = w[1]
			}
		}
		if (depth != 0) { print "<" stack[depth] "> is never closed"; exit 1 }
		if (opened == 0) { print "no element"; exit 1 }
	}' "$1"
	[ "$status" -eq 0 ] || fail "$1: $output"
}

# ---- race-stats ----

@test "race: the racy lab, summed up with its overlaps" {
	run -0 labs/tools/race-stats.sh -b "$BIN" -n 5 02 -y $((2000 / SLOW))
	assert_line --index 0 --regexp "^02-shared-race -y $((2000 / SLOW)): [0-5] of 5 runs lost updates; lost min [0-9]+ median [0-9]+ max [0-9]+\$"
	# the runs with and without overlap add up to 5
	local over=0 apart=0
	over=$(sed -n 's/^overlap: \([1-5]\) of 5 runs, \(all\|[0-5]\) of them lost updates; side by side min [0-9.]* median [0-9.]* max [0-9.]* ms$/\1/p' <<<"$output")
	apart=$(sed -n 's/^no overlap: \([1-5]\) of 5 runs, 0 of them lost updates$/\1/p' <<<"$output")
	over=${over:-0} apart=${apart:-0}
	assert_equal $((over + apart)) 5
	assert_equal "${#lines[@]}" $((1 + (over > 0) + (apart > 0)))
	[[ ${lines[0]} =~ min\ ([0-9]+)\ median\ ([0-9]+)\ max\ ([0-9]+)$ ]]
	min=${BASH_REMATCH[1]} median=${BASH_REMATCH[2]} max=${BASH_REMATCH[3]}
	[ "$min" -le "$median" ] && [ "$median" -le "$max" ] || fail "min $min median $median max $max"
}

@test "race: a locked lab (03) reports 0 of N runs lost updates" {
	local n=$((100000 / SLOW))
	run -0 labs/tools/race-stats.sh -b "$BIN" -n 3 03 -q "$n"
	assert_output "03-named-semaphore -q $n: 0 of 3 runs lost updates; lost min 0 median 0 max 0"
}

@test "race: counts, min, median and max are those of the runs" {
	local dir
	dir=$(fake_lab 5 0 7 3)
	run -0 labs/tools/race-stats.sh -b "$dir" -n 4 99 -q 1000
	assert_output "99-fake -q 1000: 3 of 4 runs lost updates; lost min 0 median 4 max 7"
	rm "$dir/runs"
	run -0 labs/tools/race-stats.sh -b "$dir" -n 3 99-fake x
	assert_output "99-fake x: 2 of 3 runs lost updates; lost min 0 median 5 max 7"
	assert_equal "$(cat "$dir/runs")" 3
}

@test "race: the overlap lines count the runs with and without overlap" {
	local dir
	dir=$(fake_lab 5@2.500 0@- 7@10.000 0@0.010 3@1.250 0@-)
	run -0 labs/tools/race-stats.sh -b "$dir" -n 6 99
	assert_output "99-fake -q 1000000: 3 of 6 runs lost updates; lost min 0 median 1 max 7
overlap: 4 of 6 runs, 3 of them lost updates; side by side min 0.010 median 1.875 max 10.000 ms
no overlap: 2 of 6 runs, 0 of them lost updates"
	rm "$dir/runs"
	run -0 labs/tools/race-stats.sh -b "$dir" -n 1 99
	assert_output "99-fake -q 1000000: 1 of 1 runs lost updates; lost min 5 median 5 max 5
overlap: 1 of 1 runs, all of them lost updates; side by side min 2.500 median 2.500 max 2.500 ms"
}

@test "race: a failing run, a missing lab and bad options are errors" {
	local dir
	dir=$(fake_lab 4 fail 4)
	run -1 labs/tools/race-stats.sh -b "$dir" -n 3 99
	assert_output --partial "race-stats: run 2 of 99-fake -q 1000000 failed (exit 1):"
	assert_output --partial "99-fake: it broke"
	run -2 labs/tools/race-stats.sh -b "$BIN" 98
	assert_output --partial "race-stats: no lab 98 in $BIN (labs there: 01-fork-counter"
	run -2 labs/tools/race-stats.sh -b "$BIN" -n 0 02
	assert_output --partial "RUNS '0' is not a number from 1 to 9999"
	run -2 labs/tools/race-stats.sh -b "$BIN"
	assert_output --partial "missing LAB"
	run -0 labs/tools/race-stats.sh -h
	assert_output "usage: race-stats [-n RUNS] [-b BINDIR] LAB [ARGS...]"
}

@test "race: SIGTERM or SIGHUP to the tool alone stops its lab too: no orphan, nothing left" {
	local sig pid status i
	for sig in TERM HUP; do
		# a process group of its own, to find every process it started, orphans too
		setsid labs/tools/race-stats.sh -b "$BIN" -n 3 03 -qy 1000000000 >"$BATS_TEST_TMPDIR/out" 2>&1 &
		pid=$!
		[ -n "$(wait_for_ipc 03-mutex)" ] || { stop_bg "$pid"; fail "03 never made its semaphore"; }
		kill -s "$sig" "$pid" # the tool alone, as kill PID does, not its process group
		status=0
		wait "$pid" || status=$?
		for ((i = 0; i < 50; i++)); do
			pgrep -g "$pid" >/dev/null || break
			sleep 0.1
		done
		if pgrep -g "$pid" >/dev/null; then
			kill -KILL -- "-$pid"
			fail "race-stats ended by SIG$sig (exit $status), yet its lab still ran 5 s later"
		fi
		assert_equal "$status" $((128 + $(kill -l "$sig")))
		assert_nothing_left
	done
}

@test "race: make race passes LAB, N and ARGS, with defaults" {
	run -0 make -n --no-print-directory race LAB=03 N=7 ARGS="-q 1000"
	assert_line "labs/tools/race-stats.sh -b bin -n 7 03 -q 1000"
	run -0 make -n --no-print-directory race
	assert_line "labs/tools/race-stats.sh -b bin -n 20 02 -q 1000000"
}

# ---- timeline ----

@test "timeline: a recorded trace becomes a well-formed SVG, one mark per line" {
	"$BIN/timeline" <tests/fixtures/trace-02.txt >"$BATS_TEST_TMPDIR/t.svg"
	assert_well_formed "$BATS_TEST_TMPDIR/t.svg"
	svg=$(cat "$BATS_TEST_TMPDIR/t.svg")
	assert_equal "$(grep -c '<g class="mark' <<<"$svg")" 16
	assert_equal "$(grep -c '<g class="mark lost"' <<<"$svg")" 8
	# each lost mark says so, in its tooltip and its label, and is linked to the other load
	assert_equal "$(grep '<g class="mark lost"' <<<"$svg" | grep -c '<text class="lostfg"[^>]*>LOST</text>')" 8
	assert_equal "$(grep -c '<line class="link"' <<<"$svg")" 8
	assert_equal "$(grep -c '<g class="mark"><title>' <<<"$svg")" 8
	grep -q '<g class="mark lost"><title>child at 1676206 ns: load 0, store 1 - LOST: parent loaded 0 too</title>' <<<"$svg" ||
		fail "the child's lost load of 0 is not marked"
	grep -q '<g class="mark"><title>parent at 0 ns: load 0, store 1</title>' <<<"$svg" ||
		fail "the parent's first load is not there"
	# highlighted: lost marks have a fill of their own, in light and dark
	assert_equal "$(grep -o '\.lost rect{fill:#[0-9a-f]*' <<<"$svg" | sort -u | wc -l)" 2
	grep -q 'prefers-color-scheme: dark' <<<"$svg" || fail "no dark variant"
	grep -q '<rect class="bg"' <<<"$svg" || fail "no background of its own"
	grep -qF 'result: counter=8 expected=16 lost=8' <<<"$svg" || fail "no result caption"
}

@test "timeline: the parent's lane is on top in its own colour, whoever loads first" {
	local svg lane
	# the fixture with the names swapped: now the child loads first
	sed 's/parent/PARENT/g; s/child/parent/g; s/PARENT/child/g' tests/fixtures/trace-02.txt |
		"$BIN/timeline" >"$BATS_TEST_TMPDIR/swapped.svg"
	"$BIN/timeline" <tests/fixtures/trace-02.txt >"$BATS_TEST_TMPDIR/t.svg"
	for svg in "$BATS_TEST_TMPDIR/t.svg" "$BATS_TEST_TMPDIR/swapped.svg"; do
		lane=$(sed -n 's/^<text class="fg" x="16" y="\([0-9]*\)" font-weight="bold">\(parent\|child\)<\/text>$/\2 \1/p' "$svg")
		assert_equal "$lane" "parent 115
child 179"
		# every mark of a process has that process's colour
		assert_equal "$(grep '<title>parent at' "$svg" | grep -o 'fill="#[0-9a-f]*"' | sort -u)" 'fill="#3b82c4"'
		assert_equal "$(grep '<title>child at' "$svg" | grep -o 'fill="#[0-9a-f]*"' | sort -u)" 'fill="#2a9d6f"'
	done
	# other names come after, in the order they appear
	printf 'trace: 0  zed  0 -> 1\ntrace: 5  child  1 -> 2\n' | "$BIN/timeline" >"$BATS_TEST_TMPDIR/o.svg"
	assert_equal "$(sed -n 's/^<text class="fg" x="16" y="[0-9]*" font-weight="bold">\([a-z]*\)<\/text>$/\1/p' "$BATS_TEST_TMPDIR/o.svg" | paste -sd ' ' -)" "child zed"
}

@test "timeline: the picture says its x axis is the order of events, not time" {
	"$BIN/timeline" <tests/fixtures/trace-02.txt >"$BATS_TEST_TMPDIR/t.svg"
	grep -qF 'x: the order of the events, one column each, not time (ns under each mark)' "$BATS_TEST_TMPDIR/t.svg" ||
		fail "no axis note"
	"$BIN/02-shared-race" -v 1000 | "$BIN/timeline" >"$BATS_TEST_TMPDIR/long.svg"
	grep -qF 'x: the order of the events, one column each, not time &#8594;' "$BATS_TEST_TMPDIR/long.svg" ||
		fail "no axis note on a long trace"
}

@test "timeline: a fresh run of 02 -v, every trace line drawn" {
	"$BIN/02-shared-race" -y -v 20 >"$BATS_TEST_TMPDIR/trace"
	"$BIN/timeline" -t "02 & friends <live>" <"$BATS_TEST_TMPDIR/trace" >"$BATS_TEST_TMPDIR/t.svg"
	assert_well_formed "$BATS_TEST_TMPDIR/t.svg"
	assert_equal "$(grep -Ec '^trace: +[0-9]+ +[a-z]+ +[0-9]+ -> [0-9]+' "$BATS_TEST_TMPDIR/trace")" 40
	assert_equal "$(grep -c '<g class="mark' "$BATS_TEST_TMPDIR/t.svg")" 40
	assert_equal "$(grep -c '<g class="mark lost"' "$BATS_TEST_TMPDIR/t.svg")" \
		"$(grep -c '<- LOST' "$BATS_TEST_TMPDIR/trace")"
	grep -qF '<title>02 &amp; friends &lt;live&gt;</title>' "$BATS_TEST_TMPDIR/t.svg" || fail "title not escaped"
}

@test "timeline: a long trace still draws every mark" {
	"$BIN/02-shared-race" -v 1000 | "$BIN/timeline" >"$BATS_TEST_TMPDIR/t.svg"
	assert_well_formed "$BATS_TEST_TMPDIR/t.svg"
	assert_equal "$(grep -c '<g class="mark' "$BATS_TEST_TMPDIR/t.svg")" 2000
}

@test "timeline: odd names are escaped; no trace and bad arguments are errors" {
	printf 'trace: 0  a<b&c  0 -> 1\ntrace: 5  d  0 -> 1   <- LOST: a<b&c loaded 0 too\n' |
		"$BIN/timeline" >"$BATS_TEST_TMPDIR/t.svg"
	assert_well_formed "$BATS_TEST_TMPDIR/t.svg"
	grep -qF '>a&lt;b&amp;c</text>' "$BATS_TEST_TMPDIR/t.svg" || fail "lane name not escaped"
	assert_equal "$(grep -c '<line class="link"' "$BATS_TEST_TMPDIR/t.svg")" 1
	run -1 "$BIN/timeline" </dev/null
	assert_output --partial "timeline: no trace lines on stdin"
	run -1 "$BIN/timeline" <<<"trace: 0 parent 3 -> 5"
	assert_output --partial "store is not load+1"
	run -2 "$BIN/timeline" -t
	assert_usage_error "option -t needs a title"
	run -2 "$BIN/timeline" extra
	assert_usage_error "unexpected argument 'extra'"
}

@test "timeline: a byte that starts no XML character is drawn as '?', so the SVG stays well-formed" {
	# a stray byte, a name in UTF-8, a control character, U+FFFF
	printf 'trace: 0  p\377  0 -> 1\ntrace: 1  zo\303\253  1 -> 2\nresult: \303\001 \342\202\254 \357\277\277\n' |
		"$BIN/timeline" >"$BATS_TEST_TMPDIR/t.svg"
	iconv -f UTF-8 -t UTF-8 "$BATS_TEST_TMPDIR/t.svg" >/dev/null || fail "the SVG is not UTF-8"
	assert_well_formed "$BATS_TEST_TMPDIR/t.svg"
	grep -qF '>p?</text>' "$BATS_TEST_TMPDIR/t.svg" || fail "the stray byte is not a '?'"
	grep -qF '>zoë</text>' "$BATS_TEST_TMPDIR/t.svg" || fail "a name in UTF-8 did not come through as it is"
	grep -qF '>result: ?? € ???</text>' "$BATS_TEST_TMPDIR/t.svg" || fail "the result line: $(grep -a 'result:' "$BATS_TEST_TMPDIR/t.svg")"
}

@test "timeline: numbers at and past the ends of a long are refused, never overflowed" {
	# LONG_MAX + 1 is no store: computing it overflows (a sanitized build stops there)
	run -1 "$BIN/timeline" <<<"trace: 0  parent  9223372036854775807 -> -9223372036854775808"
	assert_output "timeline: bad trace line (store is not load+1): trace: 0  parent  9223372036854775807 -> -9223372036854775808"
	run -1 "$BIN/timeline" <<<"trace: 99999999999999999999  parent  0 -> 1"
	assert_output "timeline: bad trace line (a number out of range): trace: 99999999999999999999  parent  0 -> 1"
	run -1 "$BIN/timeline" <<<"trace: 0  parent  0 -> 1   <- LOST: parent loaded 99999999999999999999 too"
	assert_output --partial "timeline: bad trace line (a number out of range): "
	# the largest that fit are drawn
	run -0 "$BIN/timeline" <<<"trace: 9223372036854775807  parent  9223372036854775806 -> 9223372036854775807"
	assert_output --partial "<title>parent at 9223372036854775807 ns: load 9223372036854775806, store 9223372036854775807</title>"
}

@test "timeline: a trace far longer than 02 prints is refused at once, not drawn for minutes" {
	# every line LOST, with no partner to find: each looks back over all the lines before it
	run -1 timeout 120 bash -c 'awk "BEGIN { for (i = 0; i < 1000000; i++)
		printf \"trace: %d  parent  %d -> %d   <- LOST: parent loaded -1 too\n\", i, i, i + 1 }" | "$1"' _ "$BIN/timeline"
	assert_output "timeline: more than 20000 trace lines (02 -v prints at most 2000)"
}

@test "timeline: make timeline writes build/timeline.svg from a fresh run" {
	run -0 make -n --no-print-directory timeline
	assert_line "bin/02-shared-race -y -v 8 >build/timeline.trace"
	assert_line "bin/timeline <build/timeline.trace >build/timeline.svg"
}

@test "timeline: the example in docs/img is a rendered trace" {
	assert_well_formed docs/img/race-timeline.svg
	[ "$(grep -c '<g class="mark lost"' docs/img/race-timeline.svg)" -gt 0 ] || fail "no lost update in the example"
}

# ---- make diff ----

@test "diff: two labs, one screen" {
	run -0 labs/tools/lab-diff.sh 02 03
	assert_line --index 0 "--- labs/02-shared-race/shared-race.c"
	assert_line --index 1 "+++ labs/03-named-semaphore/named-semaphore.c"
	assert_line --regexp '^\+.*Sem_wait'
	assert_line --regexp '^-.*02-shared-race - '
	expected=$output
	run -0 labs/tools/lab-diff.sh 2 03-named-semaphore
	assert_output "$expected"
	run -0 make -s --no-print-directory diff A=02 B=03
	assert_output "$expected"
	run -0 labs/tools/lab-diff.sh 03 03
	assert_output ""
}

@test "diff: --code (CODE=1) leaves out each file's header comment, nothing else" {
	local full
	full=$(labs/tools/lab-diff.sh 02 03)
	run -0 labs/tools/lab-diff.sh --code 02 03
	refute_output --partial "02-shared-race - a counter in shared memory"
	refute_output --partial "Calls:"
	assert_line --index 0 "--- labs/02-shared-race/shared-race.c"
	# the code and the comments inside it stay, line for line as in the full diff
	assert_equal "$(grep -E '^[-+][^-+]' <<<"$output")" \
		"$(grep -E '^[-+][^-+]' <<<"$full" | grep -vxF -f <(sed -n '1,/\*\//s/^/-/p' labs/02-shared-race/shared-race.c; sed -n '1,/\*\//s/^/+/p' labs/03-named-semaphore/named-semaphore.c))"
	assert_line '+		Sem_wait(mutex);        /* lock */'
	local code=$output
	run -0 make -s --no-print-directory diff A=02 B=03 CODE=1
	assert_output "$code"
	# several sources: each file loses its own header, a new one too, and keeps
	# its ---/+++ lines; a new file shown whole (--new) is all its code after
	# the header comment
	run -0 labs/tools/lab-diff.sh --code 13 14
	assert_line "new in 14-atomic-counter: compare.c ($(wc -l <labs/14-atomic-counter/compare.c) lines) - read it whole: less labs/14-atomic-counter/compare.c"
	refute_line "+++ labs/14-atomic-counter/compare.c"
	run -0 labs/tools/lab-diff.sh --code --new 13 14
	assert_equal "$output" "$(labs/tools/lab-diff.sh --new --code 13 14)"
	assert_line "+++ labs/14-atomic-counter/compare.c"
	refute_output --partial "14-atomic-counter - no lock at all"
	refute_output --partial "compare.c - 14-atomic-counter --compare"
	assert_equal "$(sed -n '\|^+++ labs/14-atomic-counter/compare.c$|,$p' <<<"$output" | sed -n '3,$p')" \
		"$(sed '1,/\*\//d; s/^/+/' labs/14-atomic-counter/compare.c)"
	run -0 labs/tools/lab-diff.sh --code 03 03
	assert_output ""
}

@test "diff: colour on a terminal only, never into a pipe" {
	local esc=$'\e['
	run -0 labs/tools/lab-diff.sh 02 03
	[[ $output != *"$esc"* ]] || fail "ANSI codes into a pipe"
	# script(1) gives it a terminal
	command -v script >/dev/null || skip "needs script(1), from util-linux"
	run -0 env TERM=xterm script -qec "labs/tools/lab-diff.sh 02 03" /dev/null
	[[ $output == *"$esc"* ]] || fail "no colour on a terminal: ${output:0:200}"
	assert_output --partial "${esc}32m+		Sem_wait(mutex);"
	run -0 env TERM=xterm NO_COLOR=1 script -qec "labs/tools/lab-diff.sh 02 03" /dev/null
	[[ $output != *"$esc"* ]] || fail "colour despite NO_COLOR"
	run -0 env TERM=dumb script -qec "labs/tools/lab-diff.sh 02 03" /dev/null
	[[ $output != *"$esc"* ]] || fail "colour on a dumb terminal"
}

@test "diff: a lab that does not exist is a clear error" {
	run -2 labs/tools/lab-diff.sh 02 99
	assert_output --partial "lab-diff: no lab 99 (labs: 01-fork-counter 02-shared-race"
	run -2 labs/tools/lab-diff.sh 02
	assert_output --partial "give two labs, e.g. make diff A=02 B=03"
	run -2 labs/tools/lab-diff.sh "" 03
	# an option it does not know is not taken for a lab
	run -2 labs/tools/lab-diff.sh --bogus 02 03
	assert_output - <<-'EOF'
		lab-diff: unknown option '--bogus'
		usage: lab-diff [--code] [--new] A B   (two lab numbers, e.g. lab-diff 02 03)
	EOF
	run -2 make -s --no-print-directory diff A=02 B=99
	assert_output --partial "lab-diff: no lab 99"
	run -2 make -s --no-print-directory diff
	assert_output --partial "give two labs"
}

@test "diff: labs with several sources, file by file: main file first, then the new ones named, or whole with --new" {
	local multi='' main f n
	for d in labs/[0-9][0-9]-*/; do
		[ "$(find "$d" -maxdepth 1 -name '*.[ch]' | wc -l)" -ge 2 ] && { multi=${d%/}; break; }
	done
	[ -n "$multi" ] || skip "no lab has several source files"
	main=$multi/${multi#labs/[0-9][0-9]-}.c
	run -0 labs/tools/lab-diff.sh 02 "${multi#labs/}"
	assert_line --index 0 "--- labs/02-shared-race/shared-race.c"
	assert_line --index 1 "+++ $main"
	for f in "$multi"/*.[ch]; do
		[ "$f" != "$main" ] || continue
		# named in one line, with its length and how to read it; not shown
		n=$(wc -l <"$f")
		assert_line "new in ${multi#labs/}: ${f##*/} ($n line$([ "$n" -eq 1 ] || echo s)) - read it whole: less $f"
		refute_line "+++ $f"
	done
	# the diff of the main files, then one line for each new file, nothing else
	assert_equal "$(grep -vc '^new in ' <<<"$output")" \
		"$(diff -u labs/02-shared-race/shared-race.c "$main" | wc -l)"
	assert_equal "$(grep -c '^new in ' <<<"$output")" "$(($(find "$multi" -maxdepth 1 -name '*.[ch]' | wc -l) - 1))"
	run -0 labs/tools/lab-diff.sh --new 02 "${multi#labs/}"
	assert_line --index 0 "--- labs/02-shared-race/shared-race.c"
	assert_line --index 1 "+++ $main"
	refute_output --partial "new in "
	for f in "$multi"/*.[ch]; do
		[ "$f" != "$main" ] || continue
		# added, whole: as diff -u against /dev/null, under the file's own name
		grep -A1 -xF -e "+++ $f" <<<"$output" | grep -qxF "@@ -0,0 +1,$(wc -l <"$f") @@" ||
			fail "$f is not shown added, whole: $output"
		assert_equal "$(grep -B1 -xF -e "+++ $f" <<<"$output" | head -1)" "--- /dev/null"
	done
	refute_output --partial "/* ==== "
}

# Made-up labs in a tree of their own, with lab-diff.sh copied in (it works on
# the tree it lies in): 01 is one .c; 02 a .c and a .h; 03 the same .c and a
# changed .h, neither named after the lab; 04 has no source at all. 05 and 06
# have a file of each role under other names, one file of the same name, and
# one file the other lab does not have.
fake_labs() {
	local root=$BATS_TEST_TMPDIR/repo
	mkdir -p "$root/labs/tools" "$root/labs/01-one" "$root/labs/02-two" "$root/labs/03-three" \
		"$root/labs/04-empty" "$root/labs/05-alpha" "$root/labs/06-beta"
	cp labs/tools/lab-diff.sh "$root/labs/tools/"
	printf '#include "unpipc.h"\nint main(void) { return 0; }\n' >"$root/labs/01-one/one.c"
	printf '#include "two.h"\nint main(void) { return TWO; }\n' >"$root/labs/02-two/two.c"
	printf '#define TWO 2\n' >"$root/labs/02-two/two.h"
	cp "$root/labs/02-two/two.c" "$root/labs/03-three/two.c"
	printf '#define TWO 3\n' >"$root/labs/03-three/two.h"
	touch "$root/labs/04-empty/README"
	printf '#include "alpha.h"\nint main(void) { return extra(A); }\n' >"$root/labs/05-alpha/alpha.c"
	printf '#define A 1\n' >"$root/labs/05-alpha/alpha.h"
	printf 'int extra(int x) { return x; }\n' >"$root/labs/05-alpha/extra.c"
	printf 'int gone(void) { return 0; }\n' >"$root/labs/05-alpha/gone.c"
	# beta.c is alpha.c with one line changed; layout.h, its only header, is alpha.h's
	printf '#include "layout.h"\nint main(void) { return extra(A); }\n' >"$root/labs/06-beta/beta.c"
	printf '#define A 2\n' >"$root/labs/06-beta/layout.h"
	printf 'int extra(int x) { return x + 1; }\n' >"$root/labs/06-beta/extra.c"
	printf 'int new(void) { return 1; }\n' >"$root/labs/06-beta/new.c"
	echo "$root"
}

@test "diff: a lab's .h files are compared too, each source under its name" {
	local root
	root=$(fake_labs)
	run -0 "$root/labs/tools/lab-diff.sh" 01 02
	assert_output - <<-'EOF'
		--- labs/01-one/one.c
		+++ labs/02-two/two.c
		@@ -1,2 +1,2 @@
		-#include "unpipc.h"
		-int main(void) { return 0; }
		+#include "two.h"
		+int main(void) { return TWO; }
		new in 02-two: two.h (1 line) - read it whole: less labs/02-two/two.h
	EOF
	run -0 "$root/labs/tools/lab-diff.sh" --new 01 02
	assert_output - <<-'EOF'
		--- labs/01-one/one.c
		+++ labs/02-two/two.c
		@@ -1,2 +1,2 @@
		-#include "unpipc.h"
		-int main(void) { return 0; }
		+#include "two.h"
		+int main(void) { return TWO; }
		--- /dev/null
		+++ labs/02-two/two.h
		@@ -0,0 +1 @@
		+#define TWO 2
	EOF
	# a change in a header alone is seen, and nothing else is: two.c, the
	# same in both, is not shown at all
	run -0 "$root/labs/tools/lab-diff.sh" 02 03
	assert_output - <<-'EOF'
		--- labs/02-two/two.h
		+++ labs/03-three/two.h
		@@ -1 +1 @@
		-#define TWO 2
		+#define TWO 3
	EOF
	run -1 "$root/labs/tools/lab-diff.sh" 01 04
	assert_output "lab-diff: no .c or .h file in labs/04-empty"
}

@test "diff: files paired by role (main, header), then by name; one lab's own files last, named" {
	local root
	root=$(fake_labs)
	run -0 "$root/labs/tools/lab-diff.sh" 05 06
	assert_output - <<-'EOF'
		--- labs/05-alpha/alpha.c
		+++ labs/06-beta/beta.c
		@@ -1,2 +1,2 @@
		-#include "alpha.h"
		+#include "layout.h"
		 int main(void) { return extra(A); }
		--- labs/05-alpha/alpha.h
		+++ labs/06-beta/layout.h
		@@ -1 +1 @@
		-#define A 1
		+#define A 2
		--- labs/05-alpha/extra.c
		+++ labs/06-beta/extra.c
		@@ -1 +1 @@
		-int extra(int x) { return x; }
		+int extra(int x) { return x + 1; }
		gone in 06-beta: gone.c (1 line) - read it whole: less labs/05-alpha/gone.c
		new in 06-beta: new.c (1 line) - read it whole: less labs/06-beta/new.c
	EOF
	# with --new, whole, in the same place: removed, then added
	run -0 "$root/labs/tools/lab-diff.sh" --new 05 06
	assert_output - <<-'EOF'
		--- labs/05-alpha/alpha.c
		+++ labs/06-beta/beta.c
		@@ -1,2 +1,2 @@
		-#include "alpha.h"
		+#include "layout.h"
		 int main(void) { return extra(A); }
		--- labs/05-alpha/alpha.h
		+++ labs/06-beta/layout.h
		@@ -1 +1 @@
		-#define A 1
		+#define A 2
		--- labs/05-alpha/extra.c
		+++ labs/06-beta/extra.c
		@@ -1 +1 @@
		-int extra(int x) { return x; }
		+int extra(int x) { return x + 1; }
		--- labs/05-alpha/gone.c
		+++ /dev/null
		@@ -1 +0,0 @@
		-int gone(void) { return 0; }
		--- /dev/null
		+++ labs/06-beta/new.c
		@@ -0,0 +1 @@
		+int new(void) { return 1; }
	EOF
	# the other way round: what was added is removed
	run -0 "$root/labs/tools/lab-diff.sh" 06 05
	assert_line --index 0 "--- labs/06-beta/beta.c"
	assert_line --index 1 "+++ labs/05-alpha/alpha.c"
	assert_equal "$(grep -E '^(gone|new) in ' <<<"$output")" \
		"gone in 05-alpha: new.c (1 line) - read it whole: less labs/06-beta/new.c
new in 05-alpha: gone.c (1 line) - read it whole: less labs/05-alpha/gone.c"
	refute_output --partial "/dev/null"
	run -0 "$root/labs/tools/lab-diff.sh" --new 06 05
	assert_line --index 0 "--- labs/06-beta/beta.c"
	assert_line --index 1 "+++ labs/05-alpha/alpha.c"
	assert_equal "$(grep -A1 -xF -e '--- labs/06-beta/new.c' <<<"$output")" $'--- labs/06-beta/new.c\n+++ /dev/null'
	assert_equal "$(grep -A1 -xF -e '--- /dev/null' <<<"$output")" $'--- /dev/null\n+++ labs/05-alpha/gone.c'
}

@test "diff: real labs, main file against main file: 05 and 14, 10 and 16" {
	local main='' d
	# the main file is the one tests/calls.sh reads the Calls line from
	for d in labs/[0-9][0-9]-*; do
		[ "$d" != labs/01-fork-counter ] || continue
		main=$(tests/calls.sh "$d" | sed -n 's/^[a-zA-Z]* *\(labs\/[^:]*\.c\):.*/\1/p')
		assert_equal "$(labs/tools/lab-diff.sh 01 "${d#labs/}" | sed -n 2p)" "+++ $main"
	done
	# 14 moved --compare into compare.c: atomic-counter.c against anonymous-shm.c is
	# the lesson, alone, and compare.c follows, named (with --new, added)
	local lesson
	lesson=$(diff -u labs/05-anonymous-shm/anonymous-shm.c labs/14-atomic-counter/atomic-counter.c \
		--label labs/05-anonymous-shm/anonymous-shm.c --label labs/14-atomic-counter/atomic-counter.c || true) # diff says 1: they differ
	run -0 labs/tools/lab-diff.sh 05 14
	assert_output "$lesson
new in 14-atomic-counter: compare.c ($(wc -l <labs/14-atomic-counter/compare.c) lines) - read it whole: less labs/14-atomic-counter/compare.c"
	run -0 labs/tools/lab-diff.sh --new 05 14
	assert_equal "$(sed '/^--- \/dev\/null$/,$d' <<<"$output")" "$lesson"
	assert_equal "$(grep -E '^(---|\+\+\+) ' <<<"$output")" "--- labs/05-anonymous-shm/anonymous-shm.c
+++ labs/14-atomic-counter/atomic-counter.c
--- /dev/null
+++ labs/14-atomic-counter/compare.c"
	# 16's ring against 10's, then its three new files in name order
	lesson=$(diff -u labs/10-shm-ring-copy/shm-ring-copy.c labs/16-lockfree-ring/lockfree-ring.c \
		--label labs/10-shm-ring-copy/shm-ring-copy.c --label labs/16-lockfree-ring/lockfree-ring.c || true) # diff says 1: they differ
	run -0 labs/tools/lab-diff.sh 10 16
	assert_output "$lesson
$(for f in futex.c lockfree-ring.h pingpong.c; do
		echo "new in 16-lockfree-ring: $f ($(wc -l <labs/16-lockfree-ring/$f) lines) - read it whole: less labs/16-lockfree-ring/$f"
	done)"
	run -0 labs/tools/lab-diff.sh --new 10 16
	assert_equal "$(sed '/^--- \/dev\/null$/,$d' <<<"$output")" "$lesson"
	assert_equal "$(grep -E '^(---|\+\+\+) ' <<<"$output")" "--- labs/10-shm-ring-copy/shm-ring-copy.c
+++ labs/16-lockfree-ring/lockfree-ring.c
--- /dev/null
+++ labs/16-lockfree-ring/futex.c
--- /dev/null
+++ labs/16-lockfree-ring/lockfree-ring.h
--- /dev/null
+++ labs/16-lockfree-ring/pingpong.c"
}

@test "diff: make diff A=05 B=14 is the lesson: compare.c named in one line, none of it shown" {
	local n
	n=$(wc -l <labs/14-atomic-counter/compare.c)
	run -0 make -s --no-print-directory diff A=05 B=14
	assert_equal "$(grep -c 'compare\.c' <<<"$output")" 2 # the prototype's comment, and the line naming it
	assert_line "new in 14-atomic-counter: compare.c ($n lines) - read it whole: less labs/14-atomic-counter/compare.c"
	refute_output --partial "/dev/null"
	# every +/- line is atomic-counter.c's change to anonymous-shm.c; compare.c adds none
	assert_equal "$(grep -c '^[-+]' <<<"$output")" \
		"$(diff -u labs/05-anonymous-shm/anonymous-shm.c labs/14-atomic-counter/atomic-counter.c | grep -c '^[-+]')"
	[ "$(grep -c '^[-+]' <<<"$output")" -lt "$n" ] || fail "the lesson is longer than compare.c"
	# the lesson fits on a screen: at most 60 changed lines, the file names included
	[ "$(grep -c '^[-+]' <<<"$output")" -le 60 ] || fail "05 -> 14 changes $(grep -c '^[-+]' <<<"$output") lines, over 60"
	assert_equal "$(grep -vc '^[-+ @]' <<<"$output")" 1
}

@test "diff: NEW=1 (--new) shows the files only one lab has whole, as before" {
	local n
	n=$(wc -l <labs/14-atomic-counter/compare.c)
	run -0 make -s --no-print-directory diff A=05 B=14 NEW=1
	assert_output "$(labs/tools/lab-diff.sh --new 05 14)"
	refute_output --partial "new in "
	# compare.c added, every line of it, after the main files' diff
	assert_equal "$(sed -n '\|^+++ labs/14-atomic-counter/compare.c$|,$p' <<<"$output")" \
		"+++ labs/14-atomic-counter/compare.c
@@ -0,0 +1,$n @@
$(sed 's/^/+/' labs/14-atomic-counter/compare.c)"
	assert_equal "$(grep -c '^[-+]' <<<"$output")" \
		"$(($(make -s --no-print-directory diff A=05 B=14 | grep -c '^[-+]') + 2 + n))"
	# with CODE=1 as well: whole, each without its header comment
	run -0 make -s --no-print-directory diff A=05 B=14 NEW=1 CODE=1
	assert_output "$(labs/tools/lab-diff.sh --code --new 05 14)"
	assert_line "+++ labs/14-atomic-counter/compare.c"
	refute_output --partial "compare.c - 14-atomic-counter --compare"
}

# ---- clean-ipc ----

@test "clean-ipc: removes this prefix's names, and nothing under another" {
	local P=$SHMLAB_IPC_PREFIX
	touch "/dev/shm/$P.demo" "/dev/shm/sem.$P.03-mutex" "/dev/shm/$P-other.x" "/dev/shm/sem.${P}x.y"
	run -0 labs/tools/clean-ipc.sh -n
	assert_output "$(printf '%s\n' "would remove POSIX semaphore /$P.03-mutex" \
		"would remove POSIX shared memory /$P.demo" "clean-ipc: prefix $P: would remove 2")"
	assert_exists "/dev/shm/$P.demo" "/dev/shm/sem.$P.03-mutex"
	run -0 labs/tools/clean-ipc.sh
	assert_output "$(printf '%s\n' "removed      POSIX semaphore /$P.03-mutex" \
		"removed      POSIX shared memory /$P.demo" "clean-ipc: prefix $P: removed 2")"
	assert_not_exists "/dev/shm/$P.demo" "/dev/shm/sem.$P.03-mutex"
	assert_exists "/dev/shm/$P-other.x" "/dev/shm/sem.${P}x.y"
	rm "/dev/shm/$P-other.x" "/dev/shm/sem.${P}x.y"
	run -0 labs/tools/clean-ipc.sh
	assert_output "clean-ipc: prefix $P: nothing left behind"
	SHMLAB_IPC_PREFIX=.bad run -2 labs/tools/clean-ipc.sh
	assert_output --partial "SHMLAB_IPC_PREFIX '.bad' is invalid"
	run -2 labs/tools/clean-ipc.sh -k
	assert_output --partial "option -k needs a PATH"
}

@test "clean-ipc: a lab's real leftover goes; an object in use stays" {
	local P=$SHMLAB_IPC_PREFIX
	[ -x "$BIN/07-posix-shm" ] || skip "07-posix-shm is not built"
	run -0 "$BIN/07-posix-shm" create kept 4096
	assert_exists "/dev/shm/$P.kept"
	touch "/dev/shm/$P.busy"
	sleep 30 3<"/dev/shm/$P.busy" &
	pid=$!
	run -0 labs/tools/clean-ipc.sh
	kill "$pid"
	wait "$pid" || true
	assert_line "removed      POSIX shared memory /$P.kept"
	assert_line "in use       POSIX shared memory /$P.busy (pid $pid has it; left alone)"
	assert_line "clean-ipc: prefix $P: removed 1, 1 in use left alone"
	assert_not_exists "/dev/shm/$P.kept"
	run -0 labs/tools/clean-ipc.sh
	assert_output "$(printf '%s\n' "removed      POSIX shared memory /$P.busy" "clean-ipc: prefix $P: removed 1")"
}

# The shmids of this user's segments whose key is KEY (0x...).
segments_with_key() {
	local want=$(($1)) key shmid uid
	while read -r key shmid _ _ _ _ _ uid _; do
		((key < 0)) && key=$((key + 4294967296))
		[ "$key" = "$want" ] && [ "$uid" = "$(id -u)" ] && echo "$shmid"
	done < <(tail -n +2 /proc/sysvipc/shm)
}

@test "clean-ipc: lab 08's System V segments go, by their key files only" {
	[ -x "$BIN/08-sysv-shm" ] || skip "08-sysv-shm is not built"
	[ -r /proc/sysvipc/shm ] || skip "no /proc/sysvipc/shm"
	assert_equal "$HOME" "$BATS_TEST_TMPDIR/home"
	local other=$BATS_TEST_TMPDIR/keyfile
	touch "$other"
	run -0 "$BIN/08-sysv-shm" create 4096
	id=$(sed -n 's/^created segment shmid \([0-9]*\):.*key \(0x[0-9a-f]*\),.*/\1 \2/p' <<<"$output")
	read -r home_id home_key <<<"$id"
	run -0 "$BIN/08-sysv-shm" create -k "$other" 100
	read -r other_id other_key < <(sed -n 's/^created segment shmid \([0-9]*\):.*key \(0x[0-9a-f]*\),.*/\1 \2/p' <<<"$output")
	echo "$home_id $home_key" >>"$BATS_TEST_TMPDIR/shmids"
	echo "$other_id $other_key" >>"$BATS_TEST_TMPDIR/shmids"
	assert_equal "$(segments_with_key "$home_key")" "$home_id"
	assert_equal "$(segments_with_key "$other_key")" "$other_id"

	# attached: left alone
	run -0 "$BIN/08-sysv-shm" write
	"$BIN/08-sysv-shm" read -w 30 >/dev/null &
	pid=$!
	for _ in $(seq 100); do
		[ "$(awk -v id="$home_id" '$2 == id { print $7 }' /proc/sysvipc/shm)" = 1 ] && break
		sleep 0.1
	done
	run -0 labs/tools/clean-ipc.sh
	kill "$pid"
	wait "$pid" || true
	assert_line "in use       System V segment shmid $home_id, key $home_key (08-sysv-shm, key file $HOME), 4096 bytes (1 attached; left alone)"

	# the default key file's segment goes; the one keyed by another file stays until named
	run -0 labs/tools/clean-ipc.sh
	assert_output "$(printf '%s\n' "removed      System V segment shmid $home_id, key $home_key (08-sysv-shm, key file $HOME), 4096 bytes" \
		"clean-ipc: prefix $SHMLAB_IPC_PREFIX: removed 1")"
	assert_equal "$(segments_with_key "$home_key")" ""
	assert_equal "$(segments_with_key "$other_key")" "$other_id"
	run -0 labs/tools/clean-ipc.sh -k "$other"
	assert_line "removed      System V segment shmid $other_id, key $other_key (08-sysv-shm, key file $other), 100 bytes"
	assert_equal "$(segments_with_key "$other_key")" ""
}

# The first line of FILE, once it has one (up to 30 s).
first_line() {
	for _ in $(seq 300); do
		[ -s "$1" ] && break
		sleep 0.1
	done
	head -n 1 "$1"
}

@test "clean-ipc: what kill -9 leaves of 08's rmid and 12's msg queue goes; others' objects stay" {
	[ -x "$BIN/08-sysv-shm" ] && [ -x "$BIN/12-copy-bench" ] || skip "08-sysv-shm or 12-copy-bench is not built"
	[ -r /proc/sysvipc/shm ] && [ -r /proc/sysvipc/msg ] || skip "no /proc/sysvipc/shm or msg"
	skip_under_valgrind "kill -9 of a lab under valgrind leaves valgrind's own processes"
	local tool=$PWD/labs/tools/clean-ipc.sh
	cd "$BATS_TEST_TMPDIR" || return 1
	"${CC:-cc}" -std=c11 -Wall -Wextra -o sysv-object "$BATS_TEST_DIRNAME/sysv-object.c"
	local shm_re='^nattch=0  parent: shmget\((0x08[0-9a-f]{6})\): shmid ([0-9]+), 4096 bytes$'

	# 08 rmid killed in its first step: its segment stays, with nobody attached
	"$BIN/08-sysv-shm" rmid -w 60 >rmid.out &
	rpid=$!
	[[ $(first_line rmid.out) =~ $shm_re ]] || fail "rmid printed: $(cat rmid.out)"
	rkey=${BASH_REMATCH[1]} rid=${BASH_REMATCH[2]}
	echo "$rid $rkey" >>shmids
	kill -9 "$rpid"
	wait "$rpid" || true

	# 12's msg copier killed, with its receiver, mid-copy: INPUT is a FIFO
	# that a writer holds open and never writes to, so the copy waits for ever
	mkdir bench
	mkfifo bench/in
	exec 7<>bench/in
	# a session of its own (setsid may fork): its pid is its process group's
	setsid bash -c 'echo $$ >bench/pid && exec "$@"' - "$BIN/12-copy-bench" msg bench/in bench/out \
		>/dev/null 2>&1 &
	bpid=$(first_line bench/pid)
	local qid='' qkey='' qpid='' key id pid
	for _ in $(seq 300); do
		# stopped while looking: the queue seen is the one kill -9 leaves, not
		# one a finished run removes while the next run makes another
		kill -STOP -- -"$bpid"
		while read -r key id; do
			((key < 0)) && key=$((key + 4294967296))
			((key >> 24 == 12)) || continue
			pid=$((key & 0xffffff))
			[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$bpid" ] || continue
			qid=$id qkey=$(printf '0x%08x' "$key") qpid=$pid
		done < <(awk 'NR > 1 { print $1, $2 }' /proc/sysvipc/msg)
		[ -z "$qid" ] || break
		kill -CONT -- -"$bpid"
		sleep 0.1
	done
	kill -9 -- -"$bpid"
	wait || true
	exec 7>&-
	[ -n "$qid" ] || fail "no queue of 12-copy-bench msg appeared"
	rm -r bench

	# ours but not a lab's: a key in the labs' form whose pid is another
	# program (alive), or whose creator is not that pid
	sleep 60 &
	spid=$!
	echo "$spid" >sleeper
	sid=$(./sysv-object shm "$(printf '0x08%06x' "$spid")")
	mid=$(./sysv-object msg "$(printf '0x0c%06x' "$spid")")
	echo "$mid" >msqids
	echo "$sid $(printf '0x08%06x' "$spid")" >>shmids
	# another user's: what kill -9 leaves of their rmid
	local oid=
	if [ -n "$OTHER" ]; then
		as_other "$OBIN/08-sysv-shm" rmid -w 60 >other.out &
		[[ $(first_line other.out) =~ $shm_re ]] || fail "their rmid printed: $(cat other.out)"
		oid=${BASH_REMATCH[2]}
		echo "$oid" >their-shmid
		pkill -9 -u "$OTHER_UID" -f 08-sysv-shm
	fi

	run -0 "$tool" -n
	assert_line "would remove System V segment shmid $rid, key $rkey (08-sysv-shm rmid, pid $rpid), 4096 bytes"
	assert_line "would remove System V message queue msqid $qid, key $qkey (12-copy-bench msg, pid $qpid)"
	refute_output --regexp "shmid ($sid|$oid),|msqid $mid,"
	assert_equal "$(awk -v a="$rid" -v b="$sid" '$2 == a || $2 == b' /proc/sysvipc/shm | wc -l)" 2
	run -0 "$tool"
	assert_line "removed      System V segment shmid $rid, key $rkey (08-sysv-shm rmid, pid $rpid), 4096 bytes"
	assert_line "removed      System V message queue msqid $qid, key $qkey (12-copy-bench msg, pid $qpid)"
	refute_output --regexp "shmid ($sid|$oid),|msqid $mid,"
	assert_equal "$(awk -v id="$rid" '$2 == id' /proc/sysvipc/shm)" ""
	assert_equal "$(awk -v id="$qid" '$2 == id' /proc/sysvipc/msg)" ""
	# the others are all still there
	assert_equal "$(awk -v id="$sid" '$2 == id { print $2 }' /proc/sysvipc/shm)" "$sid"
	assert_equal "$(awk -v id="$mid" '$2 == id { print $2 }' /proc/sysvipc/msg)" "$mid"
	[ -z "$oid" ] || assert_equal "$(awk -v id="$oid" '$2 == id { print $2 }' /proc/sysvipc/shm)" "$oid"
}

@test "clean-ipc: make clean-ipc runs it; DRY=1 only lists" {
	run -0 make -n --no-print-directory clean-ipc DRY=1
	assert_output "labs/tools/clean-ipc.sh -n"
	touch "/dev/shm/$SHMLAB_IPC_PREFIX.m"
	run -0 make -s --no-print-directory clean-ipc
	assert_line "removed      POSIX shared memory /$SHMLAB_IPC_PREFIX.m"
	assert_not_exists "/dev/shm/$SHMLAB_IPC_PREFIX.m"
}

# ---- bench-report ----

# One tiny report in the test's own directory: -n 1 (MiB), one timed run.
report() {
	labs/tools/bench-report.sh --bin "$BIN" -d "$BATS_TEST_TMPDIR" -n 1 -r 1 "$@"
}

@test "bench: the report: machine, load, input, files, and every method verified" {
	run -0 report
	assert_line --index 0 "## 12-copy-bench: copy one file 16 ways"
	assert_line --regexp '^- machine: [0-9]+ cores.*, Linux '
	assert_line --regexp '^- load average at the start: [0-9.]+ [0-9.]+ [0-9.]+$'
	assert_line "- input: 1 MiB of pseudo-random bytes"
	assert_line --regexp "^- files: $BATS_TEST_TMPDIR \(.+\)"
	assert_line "- every method: chunk 1 MiB; ring, robust and lockfree: 4 slots; median of 1 runs after 1 warm-up"
	for m in pipe fifo mq msg unix rw dd shm1 ring robust mmap splice cfr sendfile; do
		assert_line --regexp "^\| $m +\| .*\| verified \|\$"
	done
	# ordered by copies: 4, 2, 1, 0
	assert_equal "$(sed -n 's/^| [a-z0-9]* *| *\([0-9]\) |.*/\1/p' <<<"$output" | tr -d '\n')" 4444422222221000
	assert_line --regexp '^- rw: x[0-9]+\.[0-9]{2} the time of `dd bs=1M`, which makes the same two copies$'
	assert_line --regexp '^\| limit +\| +2 \| .* \| +1\.00 \| size checked \(not a copy\) \|$'
	if [ ! -x "$BIN/16-lockfree-ring" ]; then # not there: said, not failed (exit 0 above)
		assert_line --regexp '^\| lockfree +\| +2 \|[ |]+ unavailable: .*/16-lockfree-ring not built \(make\) \|$'
	fi
	assert_line "- mq: chunk $(awk '{ printf("%.0f KiB", $1 / 1024) }' /proc/sys/fs/mqueue/msgsize_max), the largest message this system allows"
	assert_line "Where the copies are made:"
	assert_line '- `pipe` (4): file -read()-> buffer -write()-> pipe -read()-> buffer -write()-> file'
	assert_line --regexp '^- `sendfile` \(0\): '
	assert_line --regexp '^- load average at the end: [0-9.]+ [0-9.]+ [0-9.]+$'
}

@test "bench: the table: copies, wall time and its min-max, MB/s, CPU, RSS, switches, ratios" {
	run -0 report -m rw,pipe
	assert_line "| method   | copies | wall ms |   min-max ms |   MB/s | CPU ms | peak RSS  | vol cs | invol cs | x pipe |  x rw | x limit | output   |"
	num='[0-9]+(\.[0-9]+)?'
	assert_line --regexp "^\| rw +\| +2 \| +$num \| +$num-$num \| +$num \| +$num \| +$num (KiB|MiB) \| +[0-9]+ \| +[0-9]+ \| +$num \| +1\.00 \|       - \| verified \|$"
	assert_line --regexp "^\| pipe +\| +4 \| .* \| +1\.00 \| +$num \|       - \| verified \|$"
	assert_equal "$(grep -c '^| ' <<<"$output")" 3
	run -0 report -m rw
	assert_line --regexp '^\| rw +\| .* \|      - \|  1\.00 \|       - \| verified \|$' # no pipe: no x pipe
	run -0 report -m rw,limit # the rows in the order of copies, the limit 1.00 of itself
	assert_line --regexp "^\| rw +\| +2 \| .* \| +1\.00 \| +$num \| verified \|$"
	assert_line --regexp "^\| limit +\| +2 \| .* \| +$num \| +1\.00 \| size checked \(not a copy\) \|$"
}

@test "bench: --csv: a header and one row of 17 fields per method, by copies" {
	run --separate-stderr -0 report --csv -b 65536 -s 2 -m rw,pipe,shm1,ring
	assert_equal "${lines[0]}" "method,chunk,slots,bytes,runs,wall_ms,wall_min_ms,wall_max_ms,mb_s,cpu_ms,maxrss_kib,vol_cs,invol_cs,vs_pipe,vs_rw,vs_limit,result"
	assert_equal "${#lines[@]}" 5
	assert_equal "$(cut -d, -f1-5 <<<"$output" | tail -n +2)" "$(printf '%s\n' \
		pipe,65536,,1048576,1 rw,65536,,1048576,1 shm1,65536,,1048576,1 ring,65536,2,1048576,1)"
	for i in 1 2 3 4; do
		assert_regex "${lines[$i]}" '^[a-z0-9]+,65536,2?,1048576,1,([0-9.]+,){7}[0-9]+,[0-9.]+,[0-9.]+,,"verified"$'
	done
	assert_equal "$stderr" ""
}

@test "bench: where the mount table does not name the file system, statfs does" {
	# df reads the mount table; in a chroot where / is not a mount point it fails
	mkdir "$BATS_TEST_TMPDIR/path"
	printf '#!/bin/sh\necho "df: cannot read table of mounted file systems" >&2\nexit 1\n' >"$BATS_TEST_TMPDIR/path/df"
	chmod +x "$BATS_TEST_TMPDIR/path/df"
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	PATH="$BATS_TEST_TMPDIR/path:$PATH" run -0 labs/tools/bench-report.sh --bin "$BIN" -d "$BATS_TEST_TMPDIR" -r 1 -m rw "$BATS_TEST_TMPDIR/data"
	assert_line "- input: 293.0 KiB in $BATS_TEST_TMPDIR/data ($(stat -f -c %T "$BATS_TEST_TMPDIR/data"))"
	refute_output --partial "unknown file system"
}

@test "bench: FILE is copied as it is; the input and outputs lines say where" {
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	cp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -0 labs/tools/bench-report.sh --bin "$BIN" -d "$BATS_TEST_TMPDIR" -r 2 -m rw,pipe "$BATS_TEST_TMPDIR/data"
	assert_line --regexp "^- input: 293.0 KiB in $BATS_TEST_TMPDIR/data \([a-z0-9]+\)$"
	assert_line --regexp "^- outputs: $BATS_TEST_TMPDIR \("
	assert_line --regexp '^\| pipe .*\| verified \|$'
	cmp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -1 report "$BATS_TEST_TMPDIR/nothing"
	assert_output "bench-report: $BATS_TEST_TMPDIR/nothing: No such file or directory"
	run -1 report "$BATS_TEST_TMPDIR"
	assert_output "bench-report: $BATS_TEST_TMPDIR: not a regular file"
}

@test "bench: a wrong, failing or missing copier: its row says so, the message once, exit 1" {
	fake=$(fake_copier wrong 'cp "$in" "$out" && printf X | dd of="$out" bs=1 seek=1000 conv=notrunc 2>/dev/null')
	run -1 report -m rw,pipe,shm1 --with "shm1=$fake"
	assert_line --regexp '^\| shm1 +\| +2 \|[ |]+ WRONG: output differs from input at byte [0-9]+ \|$'
	assert_line --regexp '^bench: shm1 \(chunk 1048576, 1 slots\): output differs from input at byte [0-9]+$'
	assert_line --regexp '^\| rw .*\| verified \|$'
	assert_line --regexp '^\| pipe .*\| verified \|$'
	fake=$(fake_copier fails 'echo "fails: cannot copy $in" >&2; exit 3')
	run -1 report -m pipe,shm1 --with "shm1=$fake"
	assert_line --regexp "^\| shm1 .*\| FAILED: exit 3: fails: cannot copy $BATS_TEST_TMPDIR/shmlab-bench-input\.[A-Za-z0-9]{6}/input \|$"
	run -1 report -m rw,ring --with "ring=$BATS_TEST_TMPDIR/no-such-copier"
	assert_line --regexp "^\| ring +\| +2 \| .*\| MISSING: $BATS_TEST_TMPDIR/no-such-copier not built \(make\) \|$"
	assert_line "bench: ring: $BATS_TEST_TMPDIR/no-such-copier not built (make)"
	run -1 report --sweep --with "ring=$BATS_TEST_TMPDIR/no-such-copier"
	assert_equal "$(grep -c 'ring: .* not built' <<<"$output")" 1
	assert_line --regexp '^\| 4 KiB   \| +[0-9]+ \| +[0-9]+ \| +[0-9]+ \|       - \|       - \|       - \|       - \|       - \| '
}

@test "bench: --svg draws one bar per method, well-formed" {
	run -0 report -m rw,pipe --svg "$BATS_TEST_TMPDIR/chart.svg"
	assert_well_formed "$BATS_TEST_TMPDIR/chart.svg"
	run -0 grep -c 'height="24" fill=' "$BATS_TEST_TMPDIR/chart.svg"
	assert_output 2
	run -0 grep -cE '>(rw|pipe)</text><rect' "$BATS_TEST_TMPDIR/chart.svg"
	assert_output 2
	grep -q '>Copying 1 MiB, chunk 1 MiB: MB/s, median of 1 runs (higher is better)<' "$BATS_TEST_TMPDIR/chart.svg" ||
		fail "no title"
	run -1 report -m rw --svg /nonexistent/dir/chart.svg
	assert_output "bench-report: open /nonexistent/dir/chart.svg: cannot write there"
}

@test "bench: --latency: lab 16's pingpong, its five ways: table, CSV and SVG" {
	[ -x "$BIN/16-lockfree-ring" ] || skip "16-lockfree-ring is not built"
	run -0 labs/tools/bench-report.sh --bin "$BIN" --latency -r 1 --svg "$BATS_TEST_TMPDIR/lat.svg"
	assert_line --index 0 "## 12-copy-bench: one byte there and back between two processes"
	assert_line --regexp '^- 10000 round trips per method, after 1000 untimed; .* \(`16-lockfree-ring pingpong -c 10000`\)$'
	assert_line "| method     | what                                   | median us |  p99 us | p99.9 us | CPU ms | vol cs | invol cs | x pipe |"
	num='[0-9]+\.[0-9]+'
	assert_line --regexp "^\| pipe +\| write \+ read on two pipes +\| +$num \| +$num \| +$num \| +[0-9]+ \| +[0-9]+ \| +[0-9]+ \| +1\.00 \|$"
	assert_line --regexp "^\| semaphore +\| sem_post \+ sem_wait in shared memory +\| +$num \| +$num \| +$num \| .* \| +$num \|$"
	for m in futex spin 'spin\+futex'; do
		assert_line --regexp "^\| $m +\| [a-z].* \| +$num \| +$num \| +$num \| +[0-9]+ \| +[0-9]+ \| +[0-9]+ \| +$num \|$"
	done
	assert_line --regexp "^- a stream of 1000000 counts, spinning: "
	assert_well_formed "$BATS_TEST_TMPDIR/lat.svg"
	assert_equal "$(grep -cE '>(pipe|semaphore|futex|spin|spin\+futex)</text><rect' "$BATS_TEST_TMPDIR/lat.svg")" 5
	run --separate-stderr -0 labs/tools/bench-report.sh --bin "$BIN" --latency --csv -r 1
	assert_equal "${lines[0]}" "method,round_trips,median_us,p99_us,p99_9_us,cpu_ms,vol_cs,invol_cs,vs_pipe"
	assert_equal "${#lines[@]}" 6
	assert_regex "${lines[1]}" "^pipe,10000,$num,$num,$num,$num,[0-9]+,[0-9]+,1\.00$"
	assert_regex "${lines[2]}" "^semaphore,10000,$num,$num,$num,$num,[0-9]+,[0-9]+,$num$"
	assert_regex "${lines[5]}" "^spin\+futex,10000,$num,$num,$num,$num,[0-9]+,[0-9]+,$num$"
}

@test "bench: --latency: the ways pingpong did not reach have its reason and no figures, exit 1" {
	mkdir "$BATS_TEST_TMPDIR/fake"
	# what pingpong prints when its echo dies in the semaphore way
	printf '#!/bin/sh\ncat <<EOF\n%s\n%s\n%s\nEOF\n%s\nexit 1\n' \
		"one-byte round trips: 10000 per method, after 1000 untimed; pinger on CPU 0, echo on CPU 1" \
		"method     median_us   p99_us  p99.9_us   cpu_ms  wall_ms   cpus futex/trip  vol_cs invol_cs" \
		"pipe            3.73    58.55     90.00   2252.2    900.0   2.50       0.00  585359   416668" \
		"echo '16-lockfree-ring: pingpong: the echo (pid 123) died' >&2" \
		>"$BATS_TEST_TMPDIR/fake/16-lockfree-ring"
	chmod +x "$BATS_TEST_TMPDIR/fake/16-lockfree-ring"
	run -1 labs/tools/bench-report.sh --bin "$BATS_TEST_TMPDIR/fake" --latency --svg "$BATS_TEST_TMPDIR/lat.svg"
	assert_line --regexp '^\| pipe +\| write \+ read on two pipes +\| +3\.73 \| +58\.55 \| +90\.00 \| +2252 \| 585359 \|   416668 \| +1\.00 \|$'
	for m in semaphore futex spin spin+futex; do
		assert_line "$(printf '| %-10s | %-38s |         - |       - |        - |      - |      - |        - |      - |' "$m" "FAILED: pingpong: the echo (pid 123) died")"
	done
	assert_line "16-lockfree-ring: pingpong: the echo (pid 123) died"
	assert_well_formed "$BATS_TEST_TMPDIR/lat.svg"
	run -0 grep -c ' us FAILED</text>' "$BATS_TEST_TMPDIR/lat.svg"
	assert_output 4
	run -1 labs/tools/bench-report.sh --bin "$BATS_TEST_TMPDIR/fake" --latency --csv
	assert_line "semaphore,10000,,,,,,,"
	assert_line --regexp '^pipe,10000,3\.73,58\.55,90\.00,2252\.2,585359,416668,1\.00$'
}

@test "bench: --sweep: every chunk size from 4 KiB to 4 MiB, and what it recommends" {
	skip_under_valgrind "the sweep is 55 runs of the bench and 242 copies, some minutes under valgrind; the copiers' memory is checked by their own tests (chunks of 2, 1000, 4096 bytes and the defaults), the report by the other passes"
	run -0 report --sweep
	assert_line "| chunk   |    rw |  pipe |  shm1 | ring  1 | ring  2 | ring  4 | ring  8 | ring 16 | lockfree 4 | lockfree 16 | robust 4 |"
	for ch in '4 KiB' '8 KiB' '16 KiB' '32 KiB' '64 KiB' '128 KiB' '256 KiB' '512 KiB' '1 MiB' '2 MiB' '4 MiB'; do
		assert_line --regexp "^\| $ch +(\| +[0-9]+ ){11}\|$"
	done
	assert_line --regexp '^- shm1: fastest with chunk [0-9]+ [KM]iB \([0-9]+ MB/s\); smallest chunk within 5%: '
	assert_line --regexp '^- ring: fastest with chunk [0-9]+ [KM]iB x [0-9]+ slots \([0-9]+ MB/s\); least memory within 5%: '
	assert_line --regexp '^- robust: x[0-9.]+ the time of ring 4 \(median over the chunk sizes; from x[0-9.]+ to x[0-9.]+\)$'
	run --separate-stderr -0 report --sweep --csv
	assert_equal "${#lines[@]}" $((1 + 11 * 11))
	assert_equal "$(grep -c ',"verified"$' <<<"$output")" 121
}

@test "bench: bad arguments are usage errors (exit 2)" {
	run -2 report -n
	assert_usage_error "option -n needs a value"
	run -2 report -n 0
	assert_usage_error "MIB '0' is out of range (want 1 to 1048576)"
	run -2 report -r abc
	assert_usage_error "RUNS 'abc' is not a number"
	run -2 report -b 0
	assert_usage_error "BYTES '0' is out of range"
	run -2 report -x
	assert_usage_error "unknown option '-x'"
	run -2 report -m rw,cat
	assert_usage_error "unknown method 'cat' (pipe, fifo, mq, msg, unix, rw, dd, shm1, ring, robust, lockfree, limit, mmap, splice, cfr, sendfile)"
	run -2 report -m ,
	assert_usage_error "-m wants one method or more, e.g. -m rw,pipe"
	run -2 report -m "$(printf 'rw,%.0s' {1..25})"
	assert_output --partial "more than 24 METHODs" # none dropped without a word
	refute_output --partial "| method |"
	run -2 report --with shm1
	assert_usage_error "--with wants METHOD=PROGRAM, not 'shm1'"
	run -2 report --sweep --latency
	assert_usage_error "--sweep and --latency are separate runs: choose one"
	run -2 report --sweep -b 4096
	assert_usage_error "drop -m, -b, -s and --svg"
	run -2 report --latency somefile
	assert_usage_error "--latency copies no file: drop 'somefile'"
	run -2 report a b
	assert_usage_error "unexpected argument 'b'"
	run -0 labs/tools/bench-report.sh -h
	assert_output --partial "usage: bench-report [--bin DIR] [-b BYTES]"
	run -1 labs/tools/bench-report.sh --bin "$BATS_TEST_TMPDIR" -n 1
	assert_output "bench-report: $BATS_TEST_TMPDIR/bench not built (make)"
	run -1 labs/tools/bench-report.sh --bin "$BATS_TEST_TMPDIR" --latency
	assert_output "bench-report: $BATS_TEST_TMPDIR/16-lockfree-ring not built (make)"
}

@test "bench: without -d the input and outputs go to a tmpfs if there is one, and go away" {
	spy=$(fake_copier spy 'echo "$in $out" >>"$(dirname "$0")/seen"; cp "$in" "$out"')
	run -0 labs/tools/bench-report.sh --bin "$BIN" -n 1 -r 1 -m rw --with "rw=$spy"
	files=$(sed -n 's/^- files: //p' <<<"$output")
	dir=${files%% (*}
	if [ "$(stat -f -c %T "$dir")" != tmpfs ]; then
		assert_regex "$files" 'not a tmpfs, so the times include the file system'
	fi
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/seen")" 2 # the warm-up and one run
	read -r in out <"$BATS_TEST_TMPDIR/seen"
	# each in a directory of its own there (mktemp -d, mode 0700), gone with it
	assert_regex "$in" "^$dir/shmlab-bench-input\.[A-Za-z0-9]{6}/input\$"
	assert_regex "$out" "^$dir/shmlab-bench\.[A-Za-z0-9]{6}/output\$"
	assert_file_not_exists "$(dirname "$in")"
	assert_file_not_exists "$(dirname "$out")"
}

@test "bench: SIGINT and SIGTERM stop the lab and its copier too and leave nothing" {
	env --default-signal=INT true 2>/dev/null || skip "env has no --default-signal"
	# bash starts a background job with SIGINT ignored, and a shell script cannot undo
	# that: this one starts the report with SIGINT as a terminal leaves it
	printf '#!/bin/sh\nexec env --default-signal=INT %s "$@"\n' "$PWD/labs/tools/bench-report.sh" \
		>"$BATS_TEST_TMPDIR/report-int"
	chmod +x "$BATS_TEST_TMPDIR/report-int"
	interrupt_midrun INT 1 "$BATS_TEST_TMPDIR/report-int" --bin "$BIN" -d "$BATS_TEST_TMPDIR" -n 64 -r 50 -m pipe,ring
	interrupt_midrun TERM 1 labs/tools/bench-report.sh --bin "$BIN" -d "$BATS_TEST_TMPDIR" -n 64 -r 50 -m shm1,ring
	assert_no_process "$BATS_TEST_TMPDIR/shmlab-bench" "after the signals"
	assert_equal "$(find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'shmlab-*')" ""
}

@test "bench: make bench runs the report four times into build/bench/" {
	run -0 make -n --no-print-directory bench
	assert_line "labs/tools/bench-report.sh --bin bin -n 256 --svg build/bench/bench-copy.svg >build/bench/bench.md"
	assert_line "labs/tools/bench-report.sh --bin bin -n 1024 -r 3 --svg build/bench/bench-copy-1g.svg >>build/bench/bench.md"
	assert_line "labs/tools/bench-report.sh --bin bin --sweep -n 64 -r 3 >>build/bench/bench.md"
	assert_line "labs/tools/bench-report.sh --bin bin --latency --svg build/bench/bench-latency.svg >>build/bench/bench.md"
}

# ---- soak ----

# Start tests/soak.sh ARGS... in the background on the stand-in suite, which sleeps
# SECONDS each run; the output goes to $BATS_TEST_TMPDIR/out, SOAK_PID is the pid.
start_soak() { # SECONDS ARGS...
	export SOAK_STATE=$BATS_TEST_TMPDIR SOAK_SLEEP=$1
	shift
	tests/soak.sh -o "$BATS_TEST_TMPDIR/logs" "$@" tests/fixtures/soak.bats \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	SOAK_PID=$!
}
# Wait up to 60 s for FILE to have a line matching REGEX.
wait_for_line() {
	local i
	for ((i = 0; i < 600; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no line matching '$2' in $1 after 60 s: $(cat "$1" 2>/dev/null)"
}

@test "soak: N runs of the suite, CPU hogs beside each, gone at the end" {
	local pids pid state
	start_soak 2 -n 2 -H 2
	wait_for_line "$BATS_TEST_TMPDIR/out" '^soak: hogs: pids '
	pids=$(sed -n 's/^soak: hogs: pids //p' "$BATS_TEST_TMPDIR/out")
	assert_equal "$(wc -w <<<"$pids")" 2
	for pid in $pids; do # a hog is always runnable: state R
		state=$(ps -o stat= -p "$pid")
		assert_regex "$state" '^R'
	done
	wait "$SOAK_PID" || fail "soak exited $?"
	run -0 cat "$BATS_TEST_TMPDIR/out"
	assert_line --index 0 "soak: 2 runs, 2 CPU hogs beside each, user $(id -un)"
	assert_line --regexp "^soak run 1 of 2: green in 0 min [0-9]+ s, load [0-9.]+: $(id -un) 1 passed, 0 failed\$"
	assert_line --regexp "^soak run 2 of 2: green in 0 min [0-9]+ s, load [0-9.]+: $(id -un) 1 passed, 0 failed\$"
	assert_line "soak: 2 of 2 runs green (logs in $BATS_TEST_TMPDIR/logs/)"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/runs")" 2
	assert_file_exists "$BATS_TEST_TMPDIR/logs/run-2.log"
	for pid in $pids; do
		run ! kill -0 "$pid"
	done
}

@test "soak: a run that fails or leaves a file or an object behind is red, and the total says so" {
	SOAK_STATE=$BATS_TEST_TMPDIR SOAK_FAIL_RUN=2 SOAK_LEAK_RUN=3 SOAK_SHM_RUN=5 run -1 tests/soak.sh -n 5 \
		-o "$BATS_TEST_TMPDIR/logs" tests/fixtures/soak.bats
	rm -f "$TMPDIR/shmlab-soak-leak-3" /dev/shm/shmlabtest-soak*-1-1.ours /dev/shm/shmlabtest-*-1-1.theirs
	assert_line --regexp "^soak run 1 of 5: green .*: $(id -un) 1 passed, 0 failed\$"
	assert_line --regexp "^soak run 2 of 5: RED .*: $(id -un) 0 passed, 1 failed\$"
	assert_line --regexp "^soak run 3 of 5: RED .*: $(id -un) 1 passed, 0 failed, left behind: $TMPDIR/shmlab-soak-leak-3\$"
	assert_line --regexp "^soak run 4 of 5: green " # a leftover is reported once
	# ours only: the object without the soak's tag is another suite's
	assert_line --regexp "^soak run 5 of 5: RED .*: $(id -un) 1 passed, 0 failed, left behind: /dev/shm/shmlabtest-soak[0-9]+-[0-9]+-1-1\.ours\$"
	assert_line "soak: 2 of 5 runs green (logs in $BATS_TEST_TMPDIR/logs/)"
	run -0 grep -c '^  FAIL a stand-in for the suite' "$BATS_TEST_TMPDIR/logs/run-2.log"
}

@test "soak: SIGTERM stops the suite and the hogs, and the soak dies of it" {
	local hog rc=0 secs=60.$$ # a sleep no other process on the machine has
	start_soak "$secs" -n 3 -H 1
	wait_for_line "$BATS_TEST_TMPDIR/runs" '^[0-9]+$' # the stand-in is running
	hog=$(sed -n 's/^soak: hogs: pids //p' "$BATS_TEST_TMPDIR/out")
	kill -TERM "$SOAK_PID"
	wait "$SOAK_PID" || rc=$?
	assert_equal "$rc" 143
	run -0 cat "$BATS_TEST_TMPDIR/out"
	assert_line "soak: stopped by SIGTERM: suites and hogs stopped"
	refute_line --partial "soak run 1 of 3"
	run ! kill -0 "$hog"
	assert_no_process "fixtures/soak.bats" "after SIGTERM"
	assert_no_process "sleep $secs" "after SIGTERM"
}

@test "soak: bad options are usage errors; a user that exists is refused" {
	run -2 --separate-stderr tests/soak.sh -n 0
	assert_equal "${stderr_lines[0]}" "soak: RUNS must be a whole number from 1 to 999999, not '0'"
	assert_equal "${stderr_lines[1]}" "usage: soak [-n RUNS] [-H HOGS] [-u NAME] [-o DIR] [FILE.bats...]"
	run -2 --separate-stderr tests/soak.sh -H x
	assert_equal "${stderr_lines[0]}" "soak: HOGS must be a whole number from 0 to 999999, not 'x'"
	run -2 --separate-stderr tests/soak.sh -n
	assert_equal "${stderr_lines[0]}" "soak: option -n needs a value"
	run -2 --separate-stderr tests/soak.sh -q
	assert_equal "${stderr_lines[0]}" "soak: unknown option '-q'"
	run -2 --separate-stderr tests/soak.sh tests/nothing.bats
	assert_equal "${stderr_lines[0]}" "soak: no test file 'tests/nothing.bats'"
	run -2 --separate-stderr tests/soak.sh -u 'Bad name'
	assert_equal "${stderr_lines[0]}" "soak: user name 'Bad name' is invalid (lower-case letters, digits, '_', '-'; 1 to 31)"
	if [ "$(id -u)" -eq 0 ]; then
		run -1 --separate-stderr tests/soak.sh -u root
		assert_equal "$stderr" "soak: user root exists: -u makes a throwaway user and removes it after; pick a name nobody has"
	else
		run -1 --separate-stderr tests/soak.sh -u shmsoak
		assert_equal "$stderr" "soak: -u needs root: it creates the user shmsoak and removes it"
	fi
}

@test "soak: -u NAME runs the suite as a second user at the same time, then removes it" {
	local name=shmsoak$$
	[ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null || skip "needs root to make a second user (useradd)"
	run -0 tests/soak.sh -n 1 -u "$name" -o "$BATS_TEST_TMPDIR/logs" tests/fixtures/soak.bats
	assert_line --index 0 "soak: 1 run, 0 CPU hogs beside each, users $(id -un) and $name at once"
	assert_line --regexp "^soak run 1 of 1: green .*: $(id -un) 1 passed, 0 failed; $name 1 passed, 0 failed\$"
	assert_line "soak: 1 of 1 runs green (logs in $BATS_TEST_TMPDIR/logs/)"
	run -0 grep -c '^  ok   a stand-in for the suite' "$BATS_TEST_TMPDIR/logs/run-1-$name.log"
	run -0 grep -c "^cc .* -o bin/01-fork-counter " "$BATS_TEST_TMPDIR/logs/make-$name.log" # built as a clone is
	run ! getent passwd "$name"
	assert_dir_not_exists "/home/$name"
}

@test "soak: without FILE both users run the whole suite, with the same arguments" {
	local name=shmsoak$$ root=$BATS_TEST_TMPDIR/tree
	[ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null || skip "needs root to make a second user (useradd)"
	# a tree whose tests/run only says how it was called, and as whom
	mkdir -p "$root/tests"
	cp tests/soak.sh "$root/tests/"
	printf '#!/bin/sh\n[ "$1" = --deps ] && exit 0\necho "$(id -un) ran tests/run with $# arguments in $PWD"\necho "1 passed, 0 failed"\n' \
		>"$root/tests/run"
	printf 'all:\n\t@echo "$$(id -un) built it"\n' >"$root/Makefile"
	chmod 755 "$root" "$root/tests" "$root/tests/run"
	run -0 "$root/tests/soak.sh" -n 1 -u "$name" -o "$BATS_TEST_TMPDIR/logs"
	assert_line --regexp "^soak run 1 of 1: green .*: $(id -un) 1 passed, 0 failed; $name 1 passed, 0 failed\$"
	assert_equal "$(head -n 1 "$BATS_TEST_TMPDIR/logs/run-1.log")" "$(id -un) ran tests/run with 0 arguments in $root"
	assert_equal "$(head -n 1 "$BATS_TEST_TMPDIR/logs/run-1-$name.log")" "$name ran tests/run with 0 arguments in /home/$name/shmlab"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/logs/make-$name.log")" "$name built it"
	run ! getent passwd "$name"
}

@test "soak: make soak passes SOAK, HOGS and SOAK_USER, with defaults" {
	# not what a make soak around this suite passes down (MAKEFLAGS) or exports
	unset MAKEFLAGS MFLAGS MAKELEVEL SOAK HOGS SOAK_USER
	run -0 make -n --no-print-directory soak
	assert_line "tests/soak.sh -n 20"
	run -0 make -n --no-print-directory soak SOAK=3 HOGS=2 SOAK_USER=shmsoak
	assert_line "tests/soak.sh -n 3 -H 2 -u shmsoak"
}

# ---- the scoreboard (tests/run) ----

@test "helper: assert_no_process judges this test's own processes, never another suite's look-alike" {
	local theirs ours
	# the same command line, started by another suite (its mark is not ours)
	SHMLAB_TEST_MARK=another-suite sleep "70.$$" &
	theirs=$!
	echo "$theirs" >>"$BATS_TEST_TMPDIR/sleeper"
	# called as a test calls it, under set -e: a look-alike not ours, found last, is no failure
	assert_no_process "sleep 70.$$" "(another suite's only)"
	kill -0 "$theirs" || fail "another suite's process was killed"
	# one of ours beside it: found, named and killed; theirs still left alone
	sleep "70.$$" &
	ours=$!
	echo "$ours" >>"$BATS_TEST_TMPDIR/sleeper"
	run assert_no_process "sleep 70.$$" "(ours too)"
	assert_failure
	assert_output --partial "a process of 'sleep 70.$$' was still running 3 s (ours too): pid $ours"
	wait "$ours" 2>/dev/null || true
	! kill -0 "$ours" 2>/dev/null || fail "our leftover was not killed"
	kill -0 "$theirs" || fail "another suite's process was killed with ours"
}

@test "scoreboard: a line per test, a slow test's time, skips and slow ones apart, each failure's rerun" {
	run -1 tests/run tests/fixtures/scoreboard.bats
	assert_line "  ok   quick"
	assert_line --regexp '^  ok   takes over a second \(1\.[0-9] s\)$'
	assert_line "  SKIP skipped # skip it needs what is not here"
	assert_line "  SLOW deferred # slow: a long copy; make check runs it"
	assert_line "  FAIL fails"
	assert_line "  BATS_LIB_PATH=$BATS_LIB_PATH bats tests/fixtures/scoreboard.bats -f \\^fails\\\$"
	assert_line --index -1 "2 passed, 1 failed, 1 skipped, 1 slow, left for make check"
}

@test "scoreboard: files side by side, each printed whole when it ends; a file marked alone runs alone" {
	local log=$BATS_TEST_TMPDIR/log a0 a1 b0 b1 c0 c1
	run -0 env RUN_LOG="$log" SHMLAB_JOBS=2 tests/run tests/fixtures/run-c.bats tests/fixtures/run-b.bats tests/fixtures/run-a.bats
	# a (alone) first, as it ended first; each file's line under its own heading
	assert_line --index 0 "== tests/fixtures/run-a.bats"
	assert_line --index 1 --regexp '^  ok   a \([0-9.]+ s\)$'
	assert_regex "$(grep -A 1 '^== tests/fixtures/run-b.bats$' <<<"$output" | tail -n 1)" '^  ok   b \([0-9.]+ s\)$'
	assert_regex "$(grep -A 1 '^== tests/fixtures/run-c.bats$' <<<"$output" | tail -n 1)" '^  ok   c \([0-9.]+ s\)$'
	assert_line --index -1 "3 passed, 0 failed"
	read -r a0 a1 <<<"$(sed -n 's/^a //p' "$log" | tr '\n' ' ')"
	read -r b0 b1 <<<"$(sed -n 's/^b //p' "$log" | tr '\n' ' ')"
	read -r c0 c1 <<<"$(sed -n 's/^c //p' "$log" | tr '\n' ' ')"
	# b and c at the same time; a (alone) with neither
	((b0 < c1 && c0 < b1)) || fail "b and c ran one after the other: $(cat "$log")"
	((a1 < b0 && a1 < c0)) || ((a0 > b1 && a0 > c1)) || fail "a ran beside b or c: $(cat "$log")"
	# SHMLAB_JOBS=1: one after the other
	: >"$log"
	run -0 env RUN_LOG="$log" SHMLAB_JOBS=1 tests/run tests/fixtures/run-c.bats tests/fixtures/run-b.bats
	read -r b0 b1 <<<"$(sed -n 's/^b //p' "$log" | tr '\n' ' ')"
	read -r c0 c1 <<<"$(sed -n 's/^c //p' "$log" | tr '\n' ' ')"
	((b1 < c0 || c1 < b0)) || fail "SHMLAB_JOBS=1 ran b and c at once: $(cat "$log")"
	run -2 env SHMLAB_JOBS=0 tests/run tests/fixtures/run-a.bats
	assert_output "tests/run: SHMLAB_JOBS must be a count of files at a time, not '0'"
}

# ---- the tour ----

@test "demo: headings are bold on a terminal only, and never with NO_COLOR" {
	local fake="$BATS_TEST_TMPDIR/fake" esc=$'\033['
	command -v script >/dev/null || skip "needs script(1) for a terminal"
	mkdir "$fake"
	printf '#!/bin/sh\nexit 3\n' >"$fake/01-fork-counter" # the tour stops after one heading
	chmod +x "$fake/01-fork-counter"
	run env SHMLAB_BIN="$fake" NO_COLOR= tests/demo.sh
	assert_output --partial "== 01 fork-counter"
	refute_output --partial "$esc"
	run script -qec "env SHMLAB_BIN='$fake' NO_COLOR= tests/demo.sh" /dev/null
	assert_output --partial "${esc}1m== 01 fork-counter"
	run script -qec "env SHMLAB_BIN='$fake' NO_COLOR=1 tests/demo.sh" /dev/null
	assert_output --partial "== 01 fork-counter"
	refute_output --partial "$esc"
}

@test "demo: the tour runs every lab to the end, exit 0, and leaves nothing" {
	local lab
	skip_under_valgrind "the tour counts to a million per lab: many minutes there"
	run -0 env SHMLAB_BIN="$BIN" tests/demo.sh
	for lab in labs/[0-9][0-9]-*/; do
		lab=$(basename "$lab")
		assert_output --partial "== ${lab%%-*} ${lab#*-}"
	done
	assert_output --partial "11-robust-copy client: the server (pid"
	assert_output --partial "verified"
	refute_output --partial "usage:"
}
