#!/usr/bin/env bats
# 02-shared-race: a shared counter with no lock loses updates - tested over
# many runs, never by one lucky run.

load helper
bats_require_minimum_version 1.5.0

# Run CMD (02 with its arguments, perhaps under taskset) until 10 runs whose loops overlapped by at least MIN_US
# microseconds, at most 300 runs. A lost update needs both loops under way at
# once, so: every run with no overlap lost nothing, and at least 8 of the 10
# that overlapped lost updates. A busy machine gives fewer overlapping runs,
# not a different verdict. Not 10 of 10: on an overloaded machine two loops
# that overlap in time may only take turns, and then lose updates only when a
# turn ends between a load and its store.
assert_overlapping_runs_lose() {
	local min_us=$1 i out us lost over=0 hits=0 seen=()
	shift
	for ((i = 1; i <= 300 && over < 10; i++)); do
		out=$("$@") || fail "run $i of $* failed"
		lost=$(lost_of "$out")
		[ -n "$lost" ] || fail "run $i of $* printed no result line: $out"
		if [[ $out =~ (^|$'\n')"overlap: the loops ran side by side for "([0-9]+)\.([0-9]{3})" of "[0-9.]+" ms"$'\n' ]]; then
			us=$((10#${BASH_REMATCH[2]}${BASH_REMATCH[3]}))
			seen+=("$us:$lost")
		elif [[ $out =~ (^|$'\n')"no overlap: the "(parent|child)"'s loop began "([0-9.]+)" ms after the "(parent|child)"'s had ended"$'\n' ]]; then
			# the times are a few ns inside each loop: a gap of 0.000 ms proves nothing
			[ "$lost" = 0 ] || [ "${BASH_REMATCH[3]}" = 0.000 ] ||
				fail "run $i of $*: no overlap, yet lost=$lost: $out"
			seen+=("none:$lost")
			continue
		else
			fail "run $i of $* printed no overlap line: $out"
		fi
		if [ "$us" -ge "$min_us" ]; then
			over=$((over + 1))
			[ "$lost" -gt 0 ] && hits=$((hits + 1))
		fi
	done
	[ "$over" -ge 10 ] ||
		fail "only $over of $((i - 1)) runs of $* overlapped by $min_us us (us:lost): ${seen[*]}"
	[ "$hits" -ge 8 ] ||
		fail "only $hits of $over overlapping runs of $* lost updates (us:lost): ${seen[*]}"
}

# Measured with two CPU-bound programs beside it: of 40 runs of -q 1000000,
# 13 did not overlap and lost none; 27 overlapped by 1.8 to 22 ms and all lost.
@test "02: loops that overlap lose updates (8 of 10 runs), loops that do not lose none" {
	[ "$(nproc)" -gt 1 ] && [ -z "${SHMLAB_VALGRIND:-}" ] ||
		skip "needs two CPUs without valgrind: on one, loops overlap in time but take turns (see -y below)"
	assert_overlapping_runs_lose 1000 "$BIN/02-shared-race" -q 1000000
}

# -y widens the window to a trip through the scheduler: overlapping loops then
# lose updates on any number of CPUs. Two suites at once on two CPUs still
# gave runs of -qy 2000 that did not overlap (and lost nothing).
@test "02: with -y, loops that overlap lose updates (8 of 10 runs), on any number of CPUs" {
	# a yield can hand the CPU to another program for a whole time slice:
	# beside two CPU-bound programs, 20000 steps took up to 7 s (YIELD_STEPS)
	local n=$YIELD_STEPS
	assert_overlapping_runs_lose 100 "$BIN/02-shared-race" -qy "$n"
}

@test "02: pinned to one core, with -y, loops that overlap lose updates (8 of 10 runs)" {
	local n=$YIELD_STEPS
	assert_overlapping_runs_lose 100 taskset -c 0 "$BIN/02-shared-race" -qy "$n"
}

@test "02: the overlap line, then the result line, which adds up" {
	run -0 "$BIN/02-shared-race" -q 100000
	assert_equal "${#lines[@]}" 2
	assert_regex "${lines[0]}" '^(overlap: the loops ran side by side for [0-9]+\.[0-9]{3} of [0-9]+\.[0-9]{3} ms|no overlap: the (parent|child)'"'"'s loop began [0-9]+\.[0-9]{3} ms after the (parent|child)'"'"'s had ended)$'
	[[ ${lines[1]} =~ ^result:\ counter=([0-9]+)\ expected=200000\ lost=([0-9]+)$ ]] ||
		fail "bad result line: ${lines[1]}"
	assert_equal $((BASH_REMATCH[1] + BASH_REMATCH[2])) 200000
}

@test "02: the overlap is never longer than the whole run" {
	local i
	for i in 1 2 3 4 5; do
		run -0 "$BIN/02-shared-race" -qy 200
		[[ ${lines[0]} =~ ^overlap:\ the\ loops\ ran\ side\ by\ side\ for\ ([0-9]+)\.([0-9]{3})\ of\ ([0-9]+)\.([0-9]{3})\ ms$ ]] ||
			continue # no overlap: said in another form, checked above
		[ "$((10#${BASH_REMATCH[1]}${BASH_REMATCH[2]}))" -le "$((10#${BASH_REMATCH[3]}${BASH_REMATCH[4]}))" ] ||
			fail "overlap longer than the run: ${lines[0]}"
	done
}

@test "02: one line per step and process, then the result" {
	run -0 "$BIN/02-shared-race" 5
	assert_equal "$(grep -c '^parent: [0-9]*$' <<<"$output")" 5
	assert_equal "$(grep -c '^child: [0-9]*$' <<<"$output")" 5
	assert_equal "${#lines[@]}" 12
	assert_regex "${lines[10]}" '^(no )?overlap: '
	assert_regex "${lines[11]}" '^result: counter=[0-9]+ expected=10 lost=[0-9]+$'
}

@test "02: -v traces every load in time order and marks lost updates" {
	local marked=0
	for _ in 1 2 3 4 5; do
		run -0 "$BIN/02-shared-race" -y -v 8
		# 16 loads, a header, a summary, the overlap, the result
		assert_equal "$(grep -cE '^trace: +[0-9]+  (parent|child) +[0-9]+ -> [0-9]+' <<<"$output")" 16
		assert_line --index 0 --regexp '^trace: +ns  who +load -> store$'
		# the times never go backwards
		sed -n 's/^trace: *\([0-9][0-9]*\)  \(parent\|child\) .*/\1/p' <<<"$output" | sort -nc ||
			fail "trace not in time order"
		# the summary counts the marks
		n=$(grep -c '<- LOST' <<<"$output" || true)
		assert_line --index 17 "trace: $n increments stored a value that was already stored"
		assert_line --index 18 --regexp '^(no )?overlap: '
		assert_equal "${#lines[@]}" 20
		[ "$n" -gt 0 ] && marked=$((marked + 1))
	done
	[ "$marked" -ge 3 ] || fail "only $marked of 5 traces showed a lost update"
}

@test "02: -v is for short runs" {
	run -2 "$BIN/02-shared-race" -v 1001
	assert_usage_error "NLOOP (with -v) '1001' is out of range (want 1 to 1000)"
}

@test "02: the private temp file is removed; -f PATH is kept" {
	run -0 "$BIN/02-shared-race" -q 10
	assert_file_not_exists "$TMPDIR"/shmlab-counter.*
	run -0 "$BIN/02-shared-race" -q -f "$BATS_TEST_TMPDIR/kept" 10
	assert_file_exists "$BATS_TEST_TMPDIR/kept"
	assert_size_not_zero "$BATS_TEST_TMPDIR/kept"
}

@test "02: a backing file that cannot be opened is a runtime error" {
	run -1 "$BIN/02-shared-race" -q -f "$BATS_TEST_TMPDIR" 10
	assert_output --partial "open $BATS_TEST_TMPDIR: Is a directory"
	run -1 "$BIN/02-shared-race" -q -f /nonexistent/dir/file 10
	assert_output --partial "No such file or directory"
}

@test "02: -f PATH that is a symbolic link, a FIFO or a file with a second name is refused, nothing overwritten or made" {
	local d=$BATS_TEST_TMPDIR
	printf 'a file of ours that no lab may touch\n' >"$d/precious"
	cp "$d/precious" "$d/as-it-was"
	ln -s precious "$d/link"
	ln "$d/precious" "$d/second-name"
	mkfifo "$d/fifo"
	run -1 "$BIN/02-shared-race" -q -f "$d/link" 10
	assert_output "02-shared-race: $d/link is a symbolic link: refused (it may point at any file of yours, which would be overwritten)"
	run -1 "$BIN/02-shared-race" -q -f "$d/second-name" 10
	assert_output "02-shared-race: $d/second-name has 2 names (hard links): refused (overwriting it would overwrite the file under its other names too)"
	cmp "$d/precious" "$d/as-it-was" || fail "the file was overwritten"
	rm "$d/second-name"
	head -c 3000 /dev/urandom >"$d/data" # ours, one name, but not a counter file
	cp "$d/data" "$d/data.orig"
	run -1 "$BIN/02-shared-race" -q -f "$d/data" 10
	assert_output "02-shared-race: $d/data has 3000 bytes, not the 16 of this lab's counter file: refused (it holds something else; name a new file)"
	cmp "$d/data" "$d/data.orig" || fail "the file was overwritten"
	ln -s "$d/made-through-the-link" "$d/dangling" # a link to no file: it would be created
	run -1 "$BIN/02-shared-race" -q -f "$d/dangling" 10
	assert_output --partial "02-shared-race: $d/dangling is a symbolic link: refused"
	assert_file_not_exists "$d/made-through-the-link"
	run -1 timeout 20 "$BIN/02-shared-race" -q -f "$d/fifo" 10 # 124: it waited for a writer
	assert_output "02-shared-race: $d/fifo is not a regular file: refused"
}

@test "02: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/02-shared-race"
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/02-shared-race" -f
	assert_usage_error "option -f needs a file path"
	run -2 "$BIN/02-shared-race" --dev-zero 5
	assert_usage_error "unknown option '--dev-zero'"
	run -2 "$BIN/02-shared-race" 1e6
	assert_usage_error "NLOOP '1e6' is not a number"
}

@test "02: SIGINT and SIGTERM mid-run stop both processes and remove the temp file" {
	interrupt_midrun INT 0.5 "$BIN/02-shared-race" -y 100000000
	interrupt_midrun TERM 0.5 "$BIN/02-shared-race" -y 100000000
}
