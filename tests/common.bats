#!/usr/bin/env bats
# The wrapper module, seen through the labs that use it: strict numbers, the
# IPC name rule and its prefix, the error convention.

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
load helper
bats_require_minimum_version 1.5.0

counter_labs=(01-fork-counter 02-shared-race 03-named-semaphore 04-semaphore-in-shm 05-anonymous-shm)

@test "common: every bad NLOOP is a usage error naming the value, in every counter lab" {
	local lab bad
	for lab in "${counter_labs[@]}"; do
		for bad in abc 12abc " 12" "+5" 0x10 1.5 -1 0 -0 99999999999999999999 1000000001; do
			run -2 "$BIN/$lab" -- "$bad"
			assert_output --partial "$lab: NLOOP '$bad' is "
			assert_line --index 1 --partial "usage: $lab "
		done
		run -2 "$BIN/$lab" ""
		assert_line --index 0 "$lab: NLOOP is empty (want a number from 1 to 1000000000)"
	done
}

@test "common: the largest NLOOP is accepted, one more is not" {
	run -2 "$BIN/02-shared-race" -q 1000000001
	assert_output --partial "out of range (want 1 to 1000000000)"
	# 1 is the smallest
	run -0 "$BIN/02-shared-race" -q 1
	assert_line --index 1 --regexp '^result: counter=[12] expected=2 lost=[01]$'
}

@test "common: the default prefix is shmlab-<uid>" {
	local mine
	mine="shmlab-$(id -u)"
	[ -z "$(find /dev/shm -name "*$mine.03-mutex")" ] || skip "a 03 of $mine is running"
	env -u SHMLAB_IPC_PREFIX "$BIN/03-named-semaphore" -qy 100000000 &
	pid=$!
	sem=$(SHMLAB_IPC_PREFIX=$mine wait_for_ipc 03-mutex)
	stop_bg "$pid"
	[ -n "$sem" ] || fail "no /dev/shm entry for $mine.03-mutex appeared"
	assert_file_not_exists "$sem"
}

@test "common: SHMLAB_IPC_PREFIX names the objects" {
	# of our own, with every kind of character allowed: another user's suite may run now
	SHMLAB_IPC_PREFIX="my_Prefix-2.x-$(id -u)-$$"
	export SHMLAB_IPC_PREFIX
	"$BIN/03-named-semaphore" -qy 100000000 &
	pid=$!
	sem=$(wait_for_ipc 03-mutex)
	stop_bg "$pid"
	[ -n "$sem" ] || fail "no /dev/shm entry for $SHMLAB_IPC_PREFIX.03-mutex appeared"
}

@test "common: a bad SHMLAB_IPC_PREFIX is an error, never silently replaced" {
	local bad
	for bad in "" "a/b" "../x" ".hidden" "a b" "x;rm" "é" "$(printf 'p%.0s' {1..65})"; do
		SHMLAB_IPC_PREFIX=$bad run -2 "$BIN/03-named-semaphore" -q 10
		assert_line --index 0 --partial "SHMLAB_IPC_PREFIX '$bad' is invalid"
		assert_line --index 1 --partial "usage: 03-named-semaphore"
	done
	# 64 characters is still fine (ours alone: another user's suite may run now)
	local long
	long="u$(id -u)-$$-"
	while [ ${#long} -lt 64 ]; do long+=p; done
	SHMLAB_IPC_PREFIX=$long run -0 "$BIN/03-named-semaphore" -q 10
}

@test "common: -h and --help print the usage on stdout and exit 0, before anything else" {
	local lab
	for lab in "${counter_labs[@]}"; do
		run --separate-stderr -0 "$BIN/$lab" --help bogus -x
		assert_output --regexp "^usage: $lab .*NLOOP$"
		assert_equal "$stderr" ""
	done
}

@test "common: a runtime error names the call and the cause, exit 1" {
	skip_under_valgrind "valgrind itself needs a working TMPDIR"
	TMPDIR=/nonexistent run -1 "$BIN/02-shared-race" -q 10
	assert_output "02-shared-race: mkstemp /nonexistent/shmlab-counter.XXXXXX: No such file or directory"
}
