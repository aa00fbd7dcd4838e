#!/usr/bin/env bats
# 14-atomic-counter: the counter as a lock-free C11 atomic in shared memory:
# exact with no lock. --compare times five ways to count, never asserted here.

load helper
bats_require_minimum_version 1.5.0

@test "14: lost=0 in every one of 5 runs of -q 1000000" {
	assert_never_loses 5 "$BIN/14-atomic-counter" -q $((1000000 / SLOW))
}

@test "14: lost=0 with -y yielding after every increment" {
	assert_never_loses 5 "$BIN/14-atomic-counter" -qy "$YIELD_STEPS"
}

@test "14: lost=0 pinned to one core, with and without -y" {
	assert_never_loses 3 taskset -c 0 "$BIN/14-atomic-counter" -q $((200000 / SLOW))
	assert_never_loses 3 taskset -c 0 "$BIN/14-atomic-counter" -qy "$YIELD_STEPS"
}

@test "14: every fetch_add returns a different value, and the result comes last" {
	run -0 "$BIN/14-atomic-counter" -y 50
	assert_equal "${#lines[@]}" 101
	assert_equal "${lines[100]}" "result: counter=100 expected=100 lost=0"
	run -0 bash -c "'$BIN/14-atomic-counter' -y 50 | sed -n 's/^\(parent\|child\): //p' | sort -n"
	assert_output "$(seq 0 99)"
}

@test "14: -v traces 2*NLOOP increments and marks none as lost" {
	run -0 "$BIN/14-atomic-counter" -y -v 20
	assert_equal "$(grep -cE '^trace: +[0-9]+  (parent|child) ' <<<"$output")" 40
	refute_output --partial "<- LOST"
	assert_line "trace: 0 increments stored a value that was already stored"
	assert_line --index 42 "result: counter=40 expected=40 lost=0"
}

@test "14: --compare prints every method, the locked ones correct" {
	local n=$((100000 / SLOW)) m
	run -0 "$BIN/14-atomic-counter" --compare $n
	assert_equal "${#lines[@]}" 7
	assert_line --index 0 --regexp '^method +counter +expected +lost +increments/s +result$'
	assert_line --index 1 --regexp "^no lock \(02\) +[0-9]+ +$((2 * n)) +[0-9]+ +[0-9]+  (correct|incorrect)$"
	for m in 'named semaphore \(03\)' 'semaphore in shm \(04\)' 'robust mutex \(13\)' 'atomic \(14\)'; do
		assert_line --regexp "^$m +$((2 * n)) +$((2 * n)) +0 +[0-9]+  correct$"
	done
	assert_line --index 6 --regexp "^result: no lock lost [0-9]+ of $((2 * n)); the four others lost none$"
}

@test "14: --compare -y on one core: the locked ones right, no lock as its numbers say" {
	local n=$YIELD_STEPS
	run -0 taskset -c 0 "$BIN/14-atomic-counter" -qy --compare "$n"
	assert_line --index 2 --regexp "^named semaphore \(03\) +$((2 * n)) +$((2 * n)) +0 +[0-9]+  correct$"
	assert_line --index 3 --regexp "^semaphore in shm \(04\) +$((2 * n)) +$((2 * n)) +0 +[0-9]+  correct$"
	assert_line --index 4 --regexp "^robust mutex \(13\) +$((2 * n)) +$((2 * n)) +0 +[0-9]+  correct$"
	assert_line --index 5 --regexp "^atomic \(14\) +$((2 * n)) +$((2 * n)) +0 +[0-9]+  correct$"
	# the no-lock row's verdict must match its own numbers
	local counter lost verdict
	read -r _ _ _ counter _ lost _ verdict <<<"${lines[1]}"
	assert_equal "$lost" $((2 * n - counter))
	if [ "$lost" -eq 0 ]; then assert_equal "$verdict" correct; else assert_equal "$verdict" incorrect; fi
}

@test "14: --compare removes its named semaphore" {
	run -0 "$BIN/14-atomic-counter" --compare 1000
	run find /dev/shm -name "*${SHMLAB_IPC_PREFIX}*"
	assert_output ""
}

@test "14: --compare: SIGINT just after sem_open made the name: nothing left, and the next run works" {
	skip_under_valgrind "strace cannot trace valgrind's lab"
	interrupt_at_sem_link 14-mutex "$BIN/14-atomic-counter" --compare 1000
	run -0 "$BIN/14-atomic-counter" --compare 1000
	assert_line --regexp "^named semaphore \(03\) +2000 +2000 +0 +[0-9]+  correct$"
}

@test "14: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/14-atomic-counter"
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/14-atomic-counter" --compare
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/14-atomic-counter" -x 5
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/14-atomic-counter" --dev-zero 5
	assert_usage_error "unknown option '--dev-zero'"
	run -2 "$BIN/14-atomic-counter" -f file 5
	assert_usage_error "unknown option '-f'"
	run -2 "$BIN/14-atomic-counter" -- -1
	assert_usage_error "NLOOP '-1' is out of range"
	run -2 "$BIN/14-atomic-counter" -- --compare
	assert_usage_error "NLOOP '--compare' is not a number"
	run -2 "$BIN/14-atomic-counter" 5 6
	assert_usage_error "unexpected argument '6'"
	run -2 "$BIN/14-atomic-counter" --compare -v 5
	assert_usage_error "--compare and -v do not go together"
	run -2 "$BIN/14-atomic-counter" -v 1001
	assert_usage_error "NLOOP (with -v) '1001' is out of range (want 1 to 1000)"
}

@test "14: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/14-atomic-counter" -h
	assert_output "usage: 14-atomic-counter [-q] [-y] [-v] [--compare] NLOOP"
	# shellcheck disable=SC2154 # set by run --separate-stderr
	assert_equal "$stderr" ""
}

@test "14: SIGINT and SIGTERM mid-run stop both processes and leave nothing" {
	interrupt_midrun INT 0.5 "$BIN/14-atomic-counter" -y 100000000
	interrupt_midrun TERM 0.5 "$BIN/14-atomic-counter" -y 100000000
}

# Interrupt --compare while its named semaphore exists: the name must go too.
interrupt_compare() {
	local sig=$1 status=0 seen=
	# glibc names it sem.NAME in /dev/shm, musl just NAME
	sem_exists() { [ -n "$(find /dev/shm -maxdepth 1 -name "*${SHMLAB_IPC_PREFIX}.14-mutex")" ]; }
	# no -y: a yield beside CPU-bound programs can cost a time slice, and the
	# no-lock method before it took over 300 s at 1000000 yields a process; a
	# plain step costs the same on a busy machine as on an idle one, so no lock
	# lasts 0.1-0.5 s and the named semaphore's seconds, each stretched alike by load
	"$BIN/14-atomic-counter" -q --compare $((20000000 / SLOW)) >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 3000); do
		sem_exists && seen=1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	if [ -z "$seen" ]; then
		kill -9 "$pid" 2>/dev/null
		fail "the named semaphore never appeared while --compare ran"
	fi
	kill -s "$sig" "$pid"
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "still running 5 s after SIG$sig"; }
	wait "$pid" || status=$?
	assert_equal "$status" $((128 + $(kill -l "$sig")))
	assert_no_process "$BIN/14-atomic-counter" "after SIG$sig"
	assert_nothing_left
}

@test "14: SIGINT and SIGTERM during --compare remove the named semaphore" {
	interrupt_compare INT
	interrupt_compare TERM
}
