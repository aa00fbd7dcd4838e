#!/usr/bin/env bats
# The wrapper module, seen through the labs that use it: strict numbers, the
# IPC name rule and its prefix, the error convention.

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
load helper

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
	assert_output --regexp '^result: counter=[12] expected=2 lost=[01]$'
}

@test "common: the default prefix is shmlab-<uid>" {
	unset SHMLAB_IPC_PREFIX
	local sem
	sem="/dev/shm/sem.shmlab-$(id -u).03-mutex"
	[ ! -e "$sem" ] || skip "$sem exists already (a 03 is running)"
	"$BIN/03-named-semaphore" -qy 100000000 &
	pid=$!
	for _ in $(seq 50); do
		[ -e "$sem" ] && break
		sleep 0.1
	done
	run test -e "$sem"
	kill "$pid"
	wait "$pid" || true
	assert_success
	assert_file_not_exists "$sem"
}

@test "common: SHMLAB_IPC_PREFIX names the objects" {
	export SHMLAB_IPC_PREFIX="my_Prefix-2.x"
	"$BIN/03-named-semaphore" -qy 100000000 &
	pid=$!
	for _ in $(seq 50); do
		[ -e "/dev/shm/sem.my_Prefix-2.x.03-mutex" ] && break
		sleep 0.1
	done
	run test -e "/dev/shm/sem.my_Prefix-2.x.03-mutex"
	kill "$pid"
	wait "$pid" || true
	assert_success
}

@test "common: a bad SHMLAB_IPC_PREFIX is an error, never silently replaced" {
	local bad
	for bad in "" "a/b" "../x" ".hidden" "a b" "x;rm" "é" "$(printf 'p%.0s' {1..65})"; do
		SHMLAB_IPC_PREFIX=$bad run -2 "$BIN/03-named-semaphore" -q 10
		assert_line --index 0 --partial "SHMLAB_IPC_PREFIX '$bad' is invalid"
		assert_line --index 1 --partial "usage: 03-named-semaphore"
	done
	# 64 characters is still fine
	SHMLAB_IPC_PREFIX=$(printf 'p%.0s' {1..64}) run -0 "$BIN/03-named-semaphore" -q 10
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
	TMPDIR=/nonexistent run -1 "$BIN/02-shared-race" -q 10
	assert_output "02-shared-race: mkstemp /nonexistent/shmlab-counter.XXXXXX: No such file or directory"
}
