#!/usr/bin/env bats
# 13-robust-lock: a child dies holding the lock, halfway through an update.
# A semaphore stays taken (the timed wait gives up); a robust mutex reports
# EOWNERDEAD and the survivor repairs the data and carries on.

load helper
bats_require_minimum_version 1.5.0

# The program's output with the children's pids (which vary) replaced by PID.
run_masked() {
	run bash -c '"$@" 2>&1 | sed -E "s/kill -KILL [0-9]+,/kill -KILL PID,/; s/child [0-9]+ died/child PID died/"; exit "${PIPESTATUS[0]}"' _ "$@"
}

sem_steps='part 1: the lock is a semaphore in shared memory
child: sem_wait: got the lock
child: a -= 30: a=20 b=50, sum=70: halfway through the move
parent: kill -KILL PID, which holds the lock
parent: child PID died of SIGKILL, inside its critical section
parent: sem_timedwait, giving up after 1 s ...
parent: sem_timedwait: ETIMEDOUT, the lock is still taken
parent: a semaphore has no owner: nobody can tell its holder died, so nobody will ever post it
parent: a=20 b=50, sum=70, want 100: left half-updated'

mutex_steps='part 2: the lock is a robust, process-shared pthread mutex
child: pthread_mutex_lock: got the lock
child: a -= 30: a=20 b=50, sum=70: halfway through the move
parent: kill -KILL PID, which holds the lock
parent: child PID died of SIGKILL, inside its critical section
parent: pthread_mutex_lock: EOWNERDEAD: the owner died, the lock is ours now
parent: check: a=20 b=50, sum=70, want 100: the move was cut short
parent: repair: undo the move of 30 the journal names: a=50 b=50, sum=100
parent: pthread_mutex_consistent: the mutex is usable again
parent: pthread_mutex_unlock, then pthread_mutex_lock: 0, as usual'

@test "13: both parts, every step in order, then the result" {
	run_masked "$BIN/13-robust-lock" -t 1
	assert_success
	assert_output "$sem_steps
$mutex_steps
result: semaphore: gave up after 1 s, sum=70; robust mutex: recovered, sum=100; expected sum=100"
	# the killed children are reaped, not left behind
	run pgrep -f -- "$BIN/13-robust-lock"
	assert_failure 1
}

@test "13: the killed children's pids are real and not the program's own" {
	run -0 "$BIN/13-robust-lock" -t 1
	local kills
	kills=$(sed -n 's/^parent: kill -KILL \([0-9]*\), which holds the lock$/\1/p' <<<"$output")
	assert_equal "$(wc -l <<<"$kills")" 2
	assert_line "parent: child $(head -n 1 <<<"$kills") died of SIGKILL, inside its critical section"
	assert_line "parent: child $(tail -n 1 <<<"$kills") died of SIGKILL, inside its critical section"
	refute [ "$(head -n 1 <<<"$kills")" = "$(tail -n 1 <<<"$kills")" ]
}

@test "13: mutex alone recovers, every time, also on one core" {
	for _ in 1 2 3 4 5; do
		run_masked "$BIN/13-robust-lock" mutex
		assert_success
		assert_output "$mutex_steps
result: robust mutex: recovered, sum=100; expected sum=100"
	done
	for _ in 1 2 3; do
		run_masked taskset -c 0 "$BIN/13-robust-lock" mutex
		assert_success
		assert_line --index 5 "parent: pthread_mutex_lock: EOWNERDEAD: the owner died, the lock is ours now"
		assert_line --index 10 "result: robust mutex: recovered, sum=100; expected sum=100"
	done
}

@test "13: sem alone waits the -t limit, no less, then gives up" {
	local start end
	start=$(date +%s%N)
	run_masked "$BIN/13-robust-lock" -t 2 sem
	end=$(date +%s%N)
	assert_success
	assert_line --index 5 "parent: sem_timedwait, giving up after 2 s ..."
	assert_line --index 6 "parent: sem_timedwait: ETIMEDOUT, the lock is still taken"
	assert_line --index 9 "result: semaphore: gave up after 2 s, sum=70; expected sum=100"
	assert_equal "${#lines[@]}" 10
	local ms=$(((end - start) / 1000000))
	[ "$ms" -ge 1900 ] || fail "gave up after $ms ms, before its 2 s limit"
	[ "$ms" -le 20000 ] || fail "took $ms ms for a 2 s limit"
}

@test "13: the default limit is 3 s" {
	run -0 "$BIN/13-robust-lock" sem
	assert_line "parent: sem_timedwait, giving up after 3 s ..."
	assert_line --index -1 "result: semaphore: gave up after 3 s, sum=70; expected sum=100"
}

@test "13: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/13-robust-lock" -h
	assert_output "usage: 13-robust-lock [-t SECONDS] [sem|mutex]"
	# shellcheck disable=SC2154 # set by run --separate-stderr
	assert_equal "$stderr" ""
}

@test "13: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/13-robust-lock" -t
	assert_usage_error "option -t needs a number of seconds"
	run -2 "$BIN/13-robust-lock" -t 0
	assert_usage_error "SECONDS '0' is out of range (want 1 to 3600)"
	run -2 "$BIN/13-robust-lock" -t 2s mutex
	assert_usage_error "SECONDS '2s' is not a number"
	run -2 "$BIN/13-robust-lock" -t 3601
	assert_usage_error "out of range"
	run -2 "$BIN/13-robust-lock" both
	assert_usage_error "unknown part 'both' (want sem or mutex)"
	run -2 "$BIN/13-robust-lock" sem mutex
	assert_usage_error "unexpected argument 'mutex'"
	run -2 "$BIN/13-robust-lock" -x
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/13-robust-lock" -- -t
	assert_usage_error "unknown part '-t'"
	refute_output --partial "part 1"
}

@test "13: SIGINT and SIGTERM during the timed wait stop it and leave nothing" {
	interrupt_midrun INT 1 "$BIN/13-robust-lock" -t 60 sem
	assert_file_contains "$BATS_TEST_TMPDIR/out" "^parent: sem_timedwait, giving up after 60 s \.\.\.$"
	interrupt_midrun TERM 1 "$BIN/13-robust-lock" -t 60
	assert_file_contains "$BATS_TEST_TMPDIR/out" "^parent: sem_timedwait, giving up after 60 s \.\.\.$"
	run -1 grep "^part 2" "$BATS_TEST_TMPDIR/out"
}
