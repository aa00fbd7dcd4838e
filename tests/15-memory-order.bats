#!/usr/bin/env bats
# 15-memory-order: a load passes an earlier store (the store-buffer litmus
# test), so Peterson's lock without a fence loses updates; with the fence,
# never. Statistical, and meant to hold on a busy machine: many runs, rules
# with room to spare, never one lucky run.

load helper
bats_require_minimum_version 1.5.0

# N of "both saw 0 in N of M trials" (the last line).
both_of() {
	sed -n 's/^both saw 0 in \([0-9]*\) of [0-9]* trials$/\1/p' <<<"$1"
}

# Reordering needs two CPUs running the two processes at once: one CPU sees its
# own stores in order, whoever runs on it.
need_two_cpus() {
	[ "$(nproc)" -gt 1 ] || skip "one CPU: a single CPU sees its own stores in order, so nothing can be reordered"
	skip_under_valgrind "the reordering all but vanishes there (3 in 100000 trials measured)"
}

# A trial shows the reordering only when both processes run it at the same
# moment, on two CPUs. On an idle machine 8 runs in 10 show it. On a busy one
# the two rarely hold a CPU each at once, so the test runs on until 8 runs have
# shown it, up to 40: a machine where the reordering does not happen shows it
# in none, however many runs it gets.
@test "15: --litmus: both saw 0 in 8 runs, in at most 40 (on 2 or more CPUs)" {
	need_two_cpus
	local i out n hits=0 seen=()
	for ((i = 1; i <= 40 && hits < 8; i++)); do
		out=$("$BIN/15-memory-order" --litmus) || fail "run $i failed (exit $?)"
		n=$(both_of "$out")
		[ -n "$n" ] || fail "run $i printed no result line: $out"
		seen+=("$n")
		[ "$n" -gt 0 ] && hits=$((hits + 1))
	done
	[ "$hits" -ge 8 ] || fail "both saw 0 in only $hits of $((i - 1)) runs (want 8); counts: ${seen[*]}"
}

@test "15: --litmus --fence: both saw 0 in no trial of 20 runs" {
	[ "$(nproc)" -gt 1 ] || skip "one CPU: nothing to fence (the next test shows it)"
	local i out trials=$((100000 / SLOW))
	for ((i = 1; i <= 20; i++)); do
		out=$("$BIN/15-memory-order" --litmus --fence $trials) || fail "run $i failed (exit $?)"
		[ "$(both_of "$out")" = 0 ] || fail "run $i: $(tail -n 1 <<<"$out")"
	done
}

@test "15: --litmus pinned to one CPU: both saw 0 in no trial, even with no fence" {
	local i out
	for ((i = 1; i <= 3; i++)); do
		out=$(taskset -c 0 "$BIN/15-memory-order" --litmus $((10000 / SLOW))) || fail "run $i failed"
		[ "$(both_of "$out")" = 0 ] || fail "run $i on one CPU: $(tail -n 1 <<<"$out")"
	done
}

@test "15: --litmus: the four outcomes add up to the trials, the result comes last" {
	run -0 "$BIN/15-memory-order" --litmus 1000
	assert_equal "${#lines[@]}" 6
	assert_line --index 0 "store buffer test, no fence: each process stores its flag, then loads the other's"
	local sum=0 line n
	for line in "${lines[@]:1:4}"; do
		[[ $line =~ ^\ \ parent\ saw\ [01],\ child\ saw\ [01]:\ +([0-9]+) ]] || fail "bad line: $line"
		sum=$((sum + BASH_REMATCH[1]))
	done
	assert_equal "$sum" 1000
	[[ ${lines[4]} =~ ^\ \ parent\ saw\ 0,\ child\ saw\ 0:\ +([0-9]+)\ \ \<-\ impossible\ in\ program\ order$ ]] ||
		fail "bad line: ${lines[4]}"
	n=${BASH_REMATCH[1]}
	assert_equal "${lines[5]}" "both saw 0 in $n of 1000 trials"
	run -0 "$BIN/15-memory-order" --fence --litmus 10
	assert_line --index 0 --partial "store buffer test, with the fence:"
}

@test "15: Peterson with no fence loses updates in 5 of at most 20 runs of -q 100000 (2 CPUs)" {
	need_two_cpus
	assert_loses_within 5 20 "$BIN/15-memory-order" -q 100000
}

@test "15: Peterson with --fence: lost=0 in every run" {
	assert_never_loses 5 "$BIN/15-memory-order" --fence -q $((100000 / SLOW))
	assert_never_loses 3 "$BIN/15-memory-order" --fence -qy $((2000 / SLOW))
}

@test "15: Peterson pinned to one CPU: lost=0 even with no fence" {
	assert_never_loses 3 taskset -c 0 "$BIN/15-memory-order" -q $((20000 / SLOW))
	assert_never_loses 3 taskset -c 0 "$BIN/15-memory-order" -qy $((1000 / SLOW))
}

@test "15: one line per step and process, the result line adds up and comes last" {
	run -0 "$BIN/15-memory-order" --fence 5
	assert_equal "$(grep -c '^parent: [0-9]*$' <<<"$output")" 5
	assert_equal "$(grep -c '^child: [0-9]*$' <<<"$output")" 5
	assert_equal "${#lines[@]}" 11
	assert_equal "${lines[10]}" "result: counter=10 expected=10 lost=0"
	run -0 "$BIN/15-memory-order" -q 10000
	[[ ${lines[0]} =~ ^result:\ counter=([0-9]+)\ expected=20000\ lost=([0-9]+)$ ]] ||
		fail "bad result line: ${lines[0]}"
	assert_equal $((BASH_REMATCH[1] + BASH_REMATCH[2])) 20000
}

@test "15: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/15-memory-order"
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/15-memory-order" --fence
	assert_usage_error "missing NLOOP"
	run -2 "$BIN/15-memory-order" -x 5
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/15-memory-order" -v 5
	assert_usage_error "unknown option '-v'"
	run -2 "$BIN/15-memory-order" 1e6
	assert_usage_error "NLOOP '1e6' is not a number"
	run -2 "$BIN/15-memory-order" 5 6
	assert_usage_error "unexpected argument '6'"
	run -2 "$BIN/15-memory-order" -- --fence
	assert_usage_error "NLOOP '--fence' is not a number"
	run -2 "$BIN/15-memory-order" --litmus 0
	assert_usage_error "TRIALS '0' is out of range (want 1 to 1000000000000)"
	run -2 "$BIN/15-memory-order" --litmus 12x
	assert_usage_error "TRIALS '12x' is not a number"
	run -2 "$BIN/15-memory-order" --litmus 5 6
	assert_usage_error "unexpected argument '6'"
	run -2 "$BIN/15-memory-order" --litmus -q
	assert_usage_error "unknown option '-q' (with --litmus: only --fence)"
	run -2 "$BIN/15-memory-order" --litmus -- -5
	assert_usage_error "TRIALS '-5' is out of range"
}

@test "15: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/15-memory-order" -h
	assert_output "usage: 15-memory-order [-q] [-y] [--fence] NLOOP | --litmus [--fence] [TRIALS]"
	# shellcheck disable=SC2154 # set by run --separate-stderr
	assert_equal "$stderr" ""
}

@test "15: SIGINT and SIGTERM mid-run stop both processes and leave nothing" {
	interrupt_midrun INT 0.5 "$BIN/15-memory-order" -qy 100000000
	interrupt_midrun TERM 0.5 "$BIN/15-memory-order" --litmus 1000000000
}

# Kill one of the two with SIGKILL while the other waits for it.
kill_one() {
	local which=$1 status=0 pid child
	shift
	"$@" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		child=$(pgrep -P "$pid") && break
		sleep 0.1
	done
	[ -n "$child" ] || { stop_bg "$pid"; fail "no child appeared"; }
	sleep 0.3
	if [ "$which" = child ]; then
		kill -9 "$child"
		wait "$pid" || status=$?
		assert_equal "$status" 1
		run cat "$BATS_TEST_TMPDIR/out"
		assert_output --partial "child $child killed by signal 9"
	else
		kill -9 "$pid"
		wait "$pid" || true
		for _ in $(seq 50); do
			kill -0 "$child" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$child" 2>/dev/null && { kill -9 "$child"; fail "the child ran on for 5 s"; }
		run cat "$BATS_TEST_TMPDIR/out"
		assert_output --partial "the parent died while we "
	fi
}

@test "15: a child killed mid-run is noticed: the parent says so and exits 1" {
	kill_one child "$BIN/15-memory-order" -q 100000000
	kill_one child "$BIN/15-memory-order" --litmus 1000000000
}

@test "15: a parent killed mid-run is noticed: the child says so and stops" {
	kill_one parent "$BIN/15-memory-order" -q 100000000
	kill_one parent "$BIN/15-memory-order" --litmus 1000000000
}
