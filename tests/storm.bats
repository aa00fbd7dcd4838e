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
	run "$BATS_TEST_DIRNAME/storm.sh" -b "$BIN" -n "$runs" ${SHMLAB_STORM_SEED:+-s "$SHMLAB_STORM_SEED"}
	[ "$status" -eq 0 ] || fail "$output"
	assert_line --partial "$runs runs, 0 failed"
}
