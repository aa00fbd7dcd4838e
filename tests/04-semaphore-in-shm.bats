#!/usr/bin/env bats
# 04-semaphore-in-shm: the counter of 02 guarded by a semaphore in shared memory: never loses an update.

load helper
bats_require_minimum_version 1.5.0

@test "04: lost=0 in every one of 5 runs of -q 1000000" {
	assert_never_loses 5 "$BIN/04-semaphore-in-shm" -q $((1000000 / SLOW))
}

@test "04: lost=0 with -y yielding inside the critical section" {
	assert_never_loses 5 "$BIN/04-semaphore-in-shm" -qy "$YIELD_STEPS"
}

@test "04: lost=0 pinned to one core, with and without -y" {
	assert_never_loses 3 taskset -c 0 "$BIN/04-semaphore-in-shm" -q $((200000 / SLOW))
	assert_never_loses 3 taskset -c 0 "$BIN/04-semaphore-in-shm" -qy "$YIELD_STEPS"
}

@test "04: each value is loaded exactly once, and the result comes last" {
	run -0 "$BIN/04-semaphore-in-shm" 50
	assert_equal "${#lines[@]}" 101
	assert_equal "${lines[100]}" "result: counter=100 expected=100 lost=0"
	# under the lock the loads see 0..99, each once, whoever did them
	run -0 bash -c "'$BIN/04-semaphore-in-shm' 50 | sed -n 's/^\(parent\|child\): //p' | sort -n"
	assert_output "$(seq 0 99)"
}

@test "04: -v traces 2*NLOOP loads and marks none as lost" {
	run -0 "$BIN/04-semaphore-in-shm" -y -v 20
	assert_equal "$(grep -cE '^trace: +[0-9]+  (parent|child) ' <<<"$output")" 40
	refute_output --partial "<- LOST"
	assert_line "trace: 0 increments stored a value that was already stored"
	assert_line --index 42 "result: counter=40 expected=40 lost=0"
}

@test "04: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/04-semaphore-in-shm"
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/04-semaphore-in-shm" -x 5
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/04-semaphore-in-shm" -- -1
	assert_usage_error "NLOOP '-1' is out of range"
	run -2 "$BIN/04-semaphore-in-shm" 5 6
	assert_usage_error "unexpected argument '6'"
	run -0 "$BIN/04-semaphore-in-shm" --help
	assert_output "usage: 04-semaphore-in-shm [-q] [-y] [-v] [-f PATH] ""NLOOP"
}

@test "04: SIGINT and SIGTERM mid-run stop both processes and leave nothing" {
	interrupt_midrun INT 0.5 "$BIN/04-semaphore-in-shm" -y 100000000
	interrupt_midrun TERM 0.5 "$BIN/04-semaphore-in-shm" -y 100000000
}

@test "04: no name at all in /dev/shm while it runs" {
	"$BIN/04-semaphore-in-shm" -qy 100000000 &
	pid=$!
	sleep 0.5
	run find /dev/shm -name "*$SHMLAB_IPC_PREFIX*"
	kill -0 "$pid" || fail "04 ended too early to look"
	stop_bg "$pid"
	assert_output ""
}
