#!/usr/bin/env bats
# 03-named-semaphore: the counter of 02 guarded by a named semaphore: never loses an update.

load helper
bats_require_minimum_version 1.5.0

@test "03: lost=0 in every one of 5 runs of -q 1000000" {
	assert_never_loses 5 "$BIN/03-named-semaphore" -q $((1000000 / SLOW))
}

@test "03: lost=0 with -y yielding inside the critical section" {
	assert_never_loses 5 "$BIN/03-named-semaphore" -qy "$YIELD_STEPS"
}

@test "03: lost=0 pinned to one core, with and without -y" {
	assert_never_loses 3 taskset -c 0 "$BIN/03-named-semaphore" -q $((200000 / SLOW))
	assert_never_loses 3 taskset -c 0 "$BIN/03-named-semaphore" -qy "$YIELD_STEPS"
}

@test "03: each value is loaded exactly once, and the result comes last" {
	run -0 "$BIN/03-named-semaphore" 50
	assert_equal "${#lines[@]}" 101
	assert_equal "${lines[100]}" "result: counter=100 expected=100 lost=0"
	# under the lock the loads see 0..99, each once, whoever did them
	run -0 bash -c "'$BIN/03-named-semaphore' 50 | sed -n 's/^\(parent\|child\): //p' | sort -n"
	assert_output "$(seq 0 99)"
}

@test "03: -v traces 2*NLOOP loads and marks none as lost" {
	run -0 "$BIN/03-named-semaphore" -y -v 20
	assert_equal "$(grep -cE '^trace: +[0-9]+  (parent|child) ' <<<"$output")" 40
	refute_output --partial "<- LOST"
	assert_line "trace: 0 increments stored a value that was already stored"
	assert_line --index 42 "result: counter=40 expected=40 lost=0"
}

@test "03: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/03-named-semaphore"
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/03-named-semaphore" -x 5
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/03-named-semaphore" -- -1
	assert_usage_error "NLOOP '-1' is out of range"
	run -2 "$BIN/03-named-semaphore" 5 6
	assert_usage_error "unexpected argument '6'"
	run -0 "$BIN/03-named-semaphore" --help
	assert_output "usage: 03-named-semaphore [-q] [-y] [-v] [-f PATH] ""NLOOP"
}

@test "03: SIGINT and SIGTERM mid-run stop both processes and leave nothing" {
	interrupt_midrun INT 0.5 "$BIN/03-named-semaphore" -y 100000000
	interrupt_midrun TERM 0.5 "$BIN/03-named-semaphore" -y 100000000
}

@test "03: SIGINT just after sem_open made the name: nothing left, and the next run works" {
	skip_under_valgrind "strace cannot trace valgrind's lab"
	interrupt_at_sem_link 03-mutex "$BIN/03-named-semaphore" -q 1000
	run -0 "$BIN/03-named-semaphore" -q 10
	assert_output "result: counter=20 expected=20 lost=0"
}

@test "03: the semaphore's name exists while it runs, and only then" {
	"$BIN/03-named-semaphore" -qy 100000000 &
	pid=$!
	sem=$(wait_for_ipc 03-mutex)
	mode=$(stat -c %a "$sem" 2>/dev/null || true)
	stop_bg "$pid"
	[ -n "$sem" ] || fail "no semaphore named $SHMLAB_IPC_PREFIX.03-mutex appeared"
	# 0600: nobody else may open it
	assert_equal "$mode" 600
	assert_file_not_exists "$sem"
}

@test "03: a leftover name with ours makes it fail, not share it" {
	# the file glibc (sem.NAME) or musl (NAME) would use for the semaphore
	touch "/dev/shm/sem.$SHMLAB_IPC_PREFIX.03-mutex" "/dev/shm/$SHMLAB_IPC_PREFIX.03-mutex"
	run -1 "$BIN/03-named-semaphore" -q 10
	rm -f "/dev/shm/sem.$SHMLAB_IPC_PREFIX.03-mutex" "/dev/shm/$SHMLAB_IPC_PREFIX.03-mutex"
	assert_output "03-named-semaphore: sem_open /$SHMLAB_IPC_PREFIX.03-mutex: File exists: another run has it, or one was killed before it could remove it (make clean-ipc removes it)"
}

@test "03: -f PATH keeps the file and removes no temp file" {
	run -0 "$BIN/03-named-semaphore" -q -f "$BATS_TEST_TMPDIR/kept" 100
	assert_output "result: counter=200 expected=200 lost=0"
	assert_file_exists "$BATS_TEST_TMPDIR/kept"
}
