#!/usr/bin/env bats
# 02-shared-race: a shared counter with no lock loses updates - tested over
# many runs, never by one lucky run.

load helper
bats_require_minimum_version 1.5.0

@test "02: loses updates in at least 16 of 20 runs of -q 1000000 (-qy 20000 on one CPU)" {
	if [ "$(nproc)" -gt 1 ] && [ -z "${SHMLAB_VALGRIND:-}" ]; then
		# not divided by SLOW: a shorter loop finishes before the other starts
		assert_loses_in 16 20 "$BIN/02-shared-race" -q 1000000
	else
		# one CPU (or valgrind, which runs each process in slow bursts):
		# the processes only meet when one yields between load and store
		assert_loses_in 16 20 "$BIN/02-shared-race" -qy $((20000 / SLOW))
	fi
}

@test "02: pinned to one core, -y loses updates in at least 4 of 5 runs" {
	assert_loses_in 4 5 taskset -c 0 "$BIN/02-shared-race" -qy $((20000 / SLOW))
}

@test "02: the result line adds up and comes last" {
	run -0 "$BIN/02-shared-race" -q 100000
	assert_equal "${#lines[@]}" 1
	[[ ${lines[0]} =~ ^result:\ counter=([0-9]+)\ expected=200000\ lost=([0-9]+)$ ]] ||
		fail "bad result line: ${lines[0]}"
	assert_equal $((BASH_REMATCH[1] + BASH_REMATCH[2])) 200000
}

@test "02: one line per step and process, then the result" {
	run -0 "$BIN/02-shared-race" 5
	assert_equal "$(grep -c '^parent: [0-9]*$' <<<"$output")" 5
	assert_equal "$(grep -c '^child: [0-9]*$' <<<"$output")" 5
	assert_equal "${#lines[@]}" 11
	assert_regex "${lines[10]}" '^result: counter=[0-9]+ expected=10 lost=[0-9]+$'
}

@test "02: -v traces every load in time order and marks lost updates" {
	local marked=0
	for _ in 1 2 3 4 5; do
		run -0 "$BIN/02-shared-race" -y -v 8
		# 16 loads, a header, a summary, the result
		assert_equal "$(grep -cE '^trace: +[0-9]+  (parent|child) +[0-9]+ -> [0-9]+' <<<"$output")" 16
		assert_line --index 0 --regexp '^trace: +ns  who +load -> store$'
		# the times never go backwards
		sed -n 's/^trace: *\([0-9][0-9]*\)  \(parent\|child\) .*/\1/p' <<<"$output" | sort -nc ||
			fail "trace not in time order"
		# the summary counts the marks
		n=$(grep -c '<- LOST' <<<"$output" || true)
		assert_line --index 17 "trace: $n increments stored a value that was already stored"
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
