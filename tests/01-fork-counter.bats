#!/usr/bin/env bats
# 01-fork-counter: each process counts its own copy of the counter.

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
load helper
bats_require_minimum_version 1.5.0

@test "01: each process counts 0..NLOOP-1 on its own copy" {
	run -0 "$BIN/01-fork-counter" 4
	# the parent's lines and the child's lines, each in order
	run -0 bash -c "'$BIN/01-fork-counter' 4 | grep '^parent: [0-9]'"
	assert_output "$(printf 'parent: %s\n' 0 1 2 3)"
	run -0 bash -c "'$BIN/01-fork-counter' 4 | grep '^child: [0-9]'"
	assert_output "$(printf 'child: %s\n' 0 1 2 3)"
}

@test "01: result is the parent's copy only, as the last line" {
	run -0 "$BIN/01-fork-counter" 5
	assert_equal "${#lines[@]}" 13
	assert_equal "${lines[12]}" "result: counter=5 expected=10 lost=5"
}

@test "01: both copies sit at the same virtual address" {
	run -0 "$BIN/01-fork-counter" -q 1
	parent=$(sed -n 's/^parent: &counter = //p' <<<"$output")
	child=$(sed -n 's/^child: &counter = //p' <<<"$output")
	assert [ -n "$parent" ]
	assert_equal "$child" "$parent"
}

@test "01: -q leaves only the addresses and the result; -y changes nothing" {
	run -0 "$BIN/01-fork-counter" -q -y 1000
	assert_equal "${#lines[@]}" 3
	assert_line --index 2 "result: counter=1000 expected=2000 lost=1000"
}

@test "01: SIGINT just after sem_open made the name: nothing left, and the next run works" {
	skip_under_valgrind "strace cannot trace valgrind's lab"
	interrupt_at_sem_link 01-mutex "$BIN/01-fork-counter" -q 1000
	run -0 "$BIN/01-fork-counter" -q 10
	assert_line "result: counter=10 expected=20 lost=10"
}

@test "01: the semaphore's name is gone while the program still runs" {
	"$BIN/01-fork-counter" -y 100000000 >/dev/null &
	pid=$!
	sleep 0.2
	run find /dev/shm -name "*${SHMLAB_IPC_PREFIX}*"
	kill -0 "$pid" || fail "01 ended too early to look"
	stop_bg "$pid"
	assert_output ""
}

@test "01: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/01-fork-counter"
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/01-fork-counter" abc
	assert_usage_error "NLOOP 'abc' is not a number"
	run -2 "$BIN/01-fork-counter" 0
	assert_usage_error "NLOOP '0' is out of range"
	run -2 "$BIN/01-fork-counter" -- -3
	assert_usage_error "NLOOP '-3' is out of range"
	run -2 "$BIN/01-fork-counter" 12x
	assert_usage_error "NLOOP '12x' is not a number"
	run -2 "$BIN/01-fork-counter" 99999999999999999999999
	assert_usage_error "out of range"
	run -2 "$BIN/01-fork-counter" ""
	assert_usage_error "NLOOP is empty"
	run -2 "$BIN/01-fork-counter" -v 3
	assert_usage_error "unknown option '-v'"
	run -2 "$BIN/01-fork-counter" 3 4
	assert_usage_error "unexpected argument '4'"
}

@test "01: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/01-fork-counter" -h
	assert_output "usage: 01-fork-counter [-q] [-y] NLOOP"
	assert_equal "$stderr" ""
}

@test "01: SIGINT and SIGTERM mid-run stop both processes" {
	interrupt_midrun INT 0.3 "$BIN/01-fork-counter" -y 100000000
	interrupt_midrun TERM 0.3 "$BIN/01-fork-counter" -y 100000000
}
