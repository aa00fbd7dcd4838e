#!/usr/bin/env bats
# A storm of signals: every lab family gets a random signal at a random moment,
# and must die of it (or exit 1 where that is its documented answer), its peers
# must end, and nothing may be left: no process, no name, no System V object,
# no temp file; after SIGKILL, only what the scenario names (tests/storm.sh says
# how). SHMLAB_STORM_RUNS runs (make check sets a few hundred for one pass),
# else 10, or 24 with SHMLAB_SLOW=1 (slow_rounds); SHMLAB_STORM_SEED repeats a
# storm.

load helper
bats_require_minimum_version 1.5.0

@test "storm: a random signal at a random moment, every lab family: each dies of it, nothing left" {
	skip_under_valgrind "a random moment there is nearly always valgrind starting up; the plain, sanitizer, musl and one-core passes run the storm"
	local runs=${SHMLAB_STORM_RUNS:-$(slow_rounds 10 24)}
	# two storms at once, each in a namespace of its own: a run mostly waits
	run "$BATS_TEST_DIRNAME/storm.sh" -b "$BIN" -n "$runs" -j 2 ${SHMLAB_STORM_SEED:+-s "$SHMLAB_STORM_SEED"}
	[ "$status" -eq 0 ] || fail "$output"
	assert_line --partial "$runs runs, 0 failed"
}

@test "storm: -j 2 runs the same runs as one storm, seed for seed, and counts a failed one" {
	skip_under_valgrind "as above"
	unshare -i true 2>/dev/null || skip "needs an IPC namespace of its own (root): without one, -j runs one storm"
	local one two
	run -0 "$BATS_TEST_DIRNAME/storm.sh" -b "$BIN" -n 4 -j 1 -s 7000 -o counter -v
	one=$(grep '^storm: ok ' <<<"$output" | sed 's/after [0-9]* ms$//' | sort)
	run -0 "$BATS_TEST_DIRNAME/storm.sh" -b "$BIN" -n 4 -j 2 -s 7000 -o counter -v
	assert_line --index 0 "storm: 4 runs, seed 7000, 2 storms at once (rerun one: tests/storm.sh -n 1 -s SEED)"
	assert_line --index -1 "storm: 4 runs, 0 failed"
	two=$(grep '^storm: ok ' <<<"$output" | sed 's/after [0-9]* ms$//' | sort)
	assert_equal "$two" "$one"
	assert_equal "$(wc -l <<<"$two")" 4
	# any seed the storm draws for itself (up to 2^30 - 1) is one it takes back with -s,
	# and so is each -j storm's share (seed + its first run)
	run -0 "$BATS_TEST_DIRNAME/storm.sh" -b "$BIN" -n 2 -j 2 -s 1073741823 -o counter
	assert_line --index -1 "storm: 2 runs, 0 failed"
	# a lab that is not there: every run of both storms fails, and the total says so
	mkdir "$BATS_TEST_TMPDIR/empty"
	run -1 "$BATS_TEST_DIRNAME/storm.sh" -b "$BATS_TEST_TMPDIR/empty" -n 4 -j 2 -s 7000 -o counter
	assert_line --index -1 "storm: 4 runs, 4 failed"
}
