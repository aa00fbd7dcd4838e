#!/usr/bin/env bats
# 05-anonymous-shm: the counter of 02 guarded by a anonymous shared mapping: never loses an update.

load helper
bats_require_minimum_version 1.5.0

@test "05: lost=0 in every one of 5 runs of -q 1000000" {
	assert_never_loses 5 "$BIN/05-anonymous-shm" -q $((1000000 / SLOW))
}

@test "05: lost=0 with -y yielding inside the critical section" {
	assert_never_loses 5 "$BIN/05-anonymous-shm" -qy "$YIELD_STEPS"
}

@test "05: lost=0 pinned to one core, with and without -y" {
	assert_never_loses 3 taskset -c 0 "$BIN/05-anonymous-shm" -q $((200000 / SLOW))
	assert_never_loses 3 taskset -c 0 "$BIN/05-anonymous-shm" -qy "$YIELD_STEPS"
}

@test "05: each value is loaded exactly once, and the result comes last" {
	run -0 "$BIN/05-anonymous-shm" 50
	assert_equal "${#lines[@]}" 101
	assert_equal "${lines[100]}" "result: counter=100 expected=100 lost=0"
	# under the lock the loads see 0..99, each once, whoever did them
	run -0 bash -c "'$BIN/05-anonymous-shm' 50 | sed -n 's/^\(parent\|child\): //p' | sort -n"
	assert_output "$(seq 0 99)"
}

@test "05: -v traces 2*NLOOP loads and marks none as lost" {
	run -0 "$BIN/05-anonymous-shm" -y -v 20
	assert_equal "$(grep -cE '^trace: +[0-9]+  (parent|child) ' <<<"$output")" 40
	refute_output --partial "<- LOST"
	assert_line "trace: 0 increments stored a value that was already stored"
	assert_line --index 42 "result: counter=40 expected=40 lost=0"
}

@test "05: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/05-anonymous-shm"
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/05-anonymous-shm" -x 5
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/05-anonymous-shm" -- -1
	assert_usage_error "NLOOP '-1' is out of range"
	run -2 "$BIN/05-anonymous-shm" 5 6
	assert_usage_error "unexpected argument '6'"
	run -0 "$BIN/05-anonymous-shm" --help
	assert_output "usage: 05-anonymous-shm [-q] [-y] [-v] [--dev-zero] ""NLOOP"
}

@test "05: SIGINT and SIGTERM mid-run stop both processes and leave nothing" {
	interrupt_midrun INT 0.5 "$BIN/05-anonymous-shm" -y 100000000
	interrupt_midrun TERM 0.5 "$BIN/05-anonymous-shm" -y 100000000
}

@test "05: --dev-zero never loses updates either" {
	assert_never_loses 5 "$BIN/05-anonymous-shm" --dev-zero -q $((1000000 / SLOW))
	assert_never_loses 3 taskset -c 0 "$BIN/05-anonymous-shm" --dev-zero -qy "$YIELD_STEPS"
}

@test "05: no file at all: nothing in TMPDIR, nothing in /dev/shm while it runs" {
	"$BIN/05-anonymous-shm" -qy 100000000 &
	pid=$!
	sleep 0.5
	files=$(ls -A "$TMPDIR")
	run find /dev/shm -name "*$SHMLAB_IPC_PREFIX*"
	kill -0 "$pid" || fail "05 ended too early to look"
	stop_bg "$pid"
	assert_output ""
	assert_equal "$files" ""
}

@test "05: -f is not an option here" {
	run -2 "$BIN/05-anonymous-shm" -f x 5
	assert_usage_error "unknown option '-f'"
}
