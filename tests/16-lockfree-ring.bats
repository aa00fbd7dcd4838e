#!/usr/bin/env bats
# 16-lockfree-ring: the copier of 10 on a lock-free ring (head and tail
# atomics, a futex sleep), and its pingpong.
# shellcheck disable=SC2030,SC2031,SC2034,SC2154 # LAB is for copier.bash; run and copier.bash set status, stderr, pid... (per test)

load helper
load copier
bats_require_minimum_version 1.5.0

PROG="$BIN/16-lockfree-ring"
LAB=16-lockfree-ring

# The test tools that tamper with a running copy's shared object
# (tests/corrupt-ring.c) and wake its waiters for nothing (tests/wake-storm.c),
# built with the labs' compiler: the layout must match.
setup_file() {
	local tool
	for tool in corrupt-ring wake-storm; do
		"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic \
			-I"$BATS_TEST_DIRNAME/../labs/16-lockfree-ring" -I"$BATS_TEST_DIRNAME/../common" \
			-o "$BATS_FILE_TMPDIR/$tool" "$BATS_TEST_DIRNAME/$tool.c"
	done
}
corrupt_ring() { "$BATS_FILE_TMPDIR/corrupt-ring" "$@"; }

setup() { copier_setup; }

# opened PID NAME: wait (up to 10 s) until process PID has the file NAME open.
opened() {
	local fd i
	for ((i = 0; i < 100; i++)); do
		for fd in "/proc/$1/fd/"*; do
			[[ $(readlink "$fd" 2>/dev/null) != */"$2" ]] || return 0
		done
		sleep 0.1
	done
	fail "process $1 never opened $2"
}
met() { corrupt_ring "$(full_name "$1")" pids >/dev/null; } # the client has mapped the ring
client_waits() { asleep "$cpid"; } # in its naps, polling for the server
# end_storm: stop tests/wake-storm (started as storm, its pid in $storm),
# and check that it did wake the waiting side
end_storm() {
	kill -TERM "$storm"
	finish storm "$storm"
	storm=
	if ! [[ $(cat storm.out) =~ ^woke\ ([0-9]+)$ ]] || [ "${BASH_REMATCH[1]}" -eq 0 ]; then
		fail "the storm woke nobody: $(cat storm.out)"
	fi
}
teardown() {
	exec 8>&-
	# what a test started in the background (its pids), whatever the test found
	[ ! -s "$BATS_TEST_TMPDIR/pids" ] || xargs kill -KILL <"$BATS_TEST_TMPDIR/pids" 2>/dev/null || true
	[ -z "${storm:-}" ] || stop_bg "$storm" # a test that failed early leaves them
	[ -z "${nanny:-}" ] || stop_bg "$nanny"
	[ -z "${perm_dir:-}" ] || rm -rf "$perm_dir"
	shmlab_teardown
}

@test "16: copy is byte-exact for 0, 1, chunk-1, chunk, chunk+1 bytes and many chunks" {
	copier_byte_exact_sizes
}

@test "16: the default chunk is 64 KiB" {
	copier_default_chunk 65536
}

@test "16: byte-exact with 1, 2, 3 and 7 slots, the ring wrapping many times" {
	copier_ring_slots
}

@test "16: the default ring is 4 slots of 64 KiB, and the server may set it" {
	copier_default_ring
}

@test "16: --spin 0 (sleep at once), a long spin, and --same-line: all byte-exact" {
	head -c 1000003 /dev/urandom >in
	for opts in "--spin 0" "--spin 100000" "--same-line" "--same-line --spin 0 -s 1"; do
		# shellcheck disable=SC2086 # one word per option
		run --separate-stderr -0 "$PROG" copy -b 4096 $opts in out
		cmp in out
		assert_equal "$(sort <<<"$stderr")" "$(summary 1000003 245)"
	done
	# the server's --same-line is in the object: the client finds tail where it is
	begin server line -b 1000 --same-line in
	run -0 "$PROG" client -n line --spin 0 out2
	assert_output "$LAB client: received 1000003 bytes in 1001 chunks"
	finish server "$spid"
	assert_equal "$status" 0
	cmp in out2
}

@test "16: binary data: every byte value, NULs and newlines included" {
	copier_binary_data
}

@test "16: a sparse 5 GiB input streamed to stdout is byte-exact (offsets past 4 GiB)" {
	copier_sparse_5g_to_stdout 81920
}

@test "16: input from a pipe, output to a pipe" {
	copier_pipes
}

@test "16: server first, then client; and client first, then server" {
	copier_either_order 4
}

@test "16: server from stdin, client to stdout" {
	copier_stdin_stdout
}

@test "16: OUTPUT is replaced only when complete, with the usual permissions" {
	copier_output_replaced_when_complete
}

@test "16: input missing or a directory: exit 1, no OUTPUT, nothing left" {
	copier_bad_input
}

@test "16: output directory missing, OUTPUT a directory: exit 1, nothing left" {
	copier_bad_output
}

@test "16: input unreadable, output directory unwritable: exit 1, nothing left" {
	copier_permissions
}

@test "16: OUTPUT on /dev/full: ENOSPC reported, exit 1, no temp file in /dev" {
	copier_dev_full
}

@test "16: a peer that never comes: each side gives up after -t seconds" {
	copier_peer_never_comes "no word from the client for 1 s"
}

@test "16: woken over and over by a process that sends nothing: each side still gives up after -t" {
	echo data >in
	# the server has sent its one chunk and end of file, and waits for a client
	# that never comes, on `done`; the storm wakes it every 0.5 ms
	start storm "$BATS_FILE_TMPDIR/wake-storm" "$(full_name storm)"
	storm=$pid
	mark_time
	run timeout $((10 * SLOW)) "$PROG" server -n storm -t 2 in # 124: still waiting
	elapsed_ms=$(($(date +%s%3N) - t0))
	assert_equal "$status" 1
	assert_output "$LAB server: no word from the client for 2 s"
	[ "$elapsed_ms" -lt $((5000 * SLOW)) ] || fail "took $elapsed_ms ms"
	end_storm

	# a fake server, alive, that makes the object ready and then only wakes
	start storm "$BATS_FILE_TMPDIR/wake-storm" "$(full_name storm)" serve
	storm=$pid
	wait_for_object storm
	mark_time
	run timeout $((10 * SLOW)) "$PROG" client -n storm -t 2 out
	elapsed_ms=$(($(date +%s%3N) - t0))
	assert_equal "$status" 1
	assert_output "$LAB client: no word from the server for 2 s"
	[ "$elapsed_ms" -lt $((5000 * SLOW)) ] || fail "took $elapsed_ms ms"
	assert_file_not_exists out
	end_storm
}

@test "16: a side killed mid-copy (KILL, INT, TERM): the other says it died, exit 1, nothing left" {
	local sig victim other opid
	for sig in KILL INT TERM; do
		for victim in server client; do
			meet stop - # -: a client killed by SIGKILL would leave its temp file beside OUTPUT
			mark_time
			if [ "$victim" = server ]; then
				kill -s "$sig" "$spid"
				finish server "$spid"
				other=client opid=$cpid
			else
				kill -s "$sig" "$cpid"
				finish client "$cpid"
				exec 8>&- # the server sleeps in read() until data or end of file comes
				other=server opid=$spid
			fi
			assert_equal "$status" $((128 + $(kill -l "$sig")))
			finish "$other" "$opid" 10
			assert_equal "$status" 1
			assert_output --regexp "^$LAB $other: the $victim \(pid [0-9]+\) died$"
			[ "$elapsed_ms" -lt 5000 ] || fail "$sig $victim: took $elapsed_ms ms"
			exec 8>&-
			rm fifo
			assert_nothing_left
		done
	done
}

@test "16: a server stuck on a full ring notices a killed client at once, not after -t" {
	head -c 1000000 /dev/urandom >in
	hold_fifo outfifo # nobody reads it: the client blocks in write(), the ring fills
	start server "$PROG" server -n full -t 60 in
	spid=$pid
	start client "$PROG" client -n full -t 60 outfifo
	cpid=$pid
	met full
	sleep 0.2
	mark_time
	kill -9 "$cpid"
	finish server "$spid" 10
	assert_equal "$status" 1
	assert_output --regexp "^$LAB server: the client \(pid [0-9]+\) died$"
	[ "$elapsed_ms" -lt 5000 ] || fail "took $elapsed_ms ms"
	finish client "$cpid"
	assert_equal "$status" 137
}

@test "16: a second server on a name in use: File exists, exit 1, the first copy goes on" {
	copier_second_server
}

@test "16: a client killed while its parent does not reap it (a zombie): the server says it died" {
	copier_zombie_client -t $((10 * SLOW))
}

@test "16: a second client on a name in use: it says so, exits 1, and the copy goes on" {
	head -c 1000000 /dev/urandom >in
	meet busy out
	run -1 "$PROG" client -n busy -t 1 out2
	assert_file_exists "/dev/shm/$SHMLAB_IPC_PREFIX.busy" # the copy's name is left alone
	assert_output "$LAB client: name 'busy' is in use ($(full_name busy))"
	assert_file_not_exists out2
	cat in >&8
	exec 8>&-
	finish client "$cpid"
	assert_equal "$status" 0
	finish server "$spid"
	assert_equal "$status" 0
	assert_output "$LAB server: sent 1000000 bytes in 16 chunks"
	cmp in out
}

@test "16: copy: either child killed with SIGKILL: it stops within 5 s, exit 1, nothing left" {
	copier_copy_child_killed
}

@test "16: copy: SIGINT or SIGTERM stops the parent and both children" {
	copier_copy_signals
}

@test "16: a corrupt head: the waiting client says so and exits 1, writing nothing" {
	meet bad out
	corrupt_ring "$(full_name bad)" head 0x7fffffff
	finish client "$cpid"
	assert_equal "$status" 1
	assert_output "$LAB client: corrupt shared header (head 2147483647)"
	assert_file_not_exists out
	exec 8>&- # the server reads end of file, then waits for a client that is gone
	finish server "$spid" 10
	assert_equal "$status" 1
	assert_output --regexp "^$LAB server: the client \(pid [0-9]+\) died$"
}

@test "16: a corrupt tail: the server says so and exits 1" {
	for tail in 0x7fffffff 0xfffffffe; do # far ahead of head, and behind it
		head -c 1000000 /dev/urandom >in
		hold_fifo outfifo # nobody reads it: the client blocks in write()
		start server "$PROG" server -n badtail in
		spid=$pid
		start client "$PROG" client -n badtail outfifo
		cpid=$pid
		met badtail
		opened "$cpid" outfifo
		kill -STOP "$cpid" # or its next store of tail could undo ours before the server looks
		corrupt_ring "$(full_name badtail)" tail "$tail"
		finish server "$spid"
		assert_equal "$status" 1
		assert_output "$LAB server: corrupt shared header (tail $((tail)))"
		kill -CONT "$cpid"
		exec 8>&- # no reader left: the client's write fails
		finish client "$cpid"
		assert_equal "$status" 1
		rm outfifo
		assert_nothing_left
	done
}

@test "16: a corrupt chunk length or layout: the client exits 1 before writing" {
	meet bad out
	kill -STOP "$cpid"
	printf 'hello' >&8
	corrupt_ring "$(full_name bad)" len 0x7fffffff # once the server has filled it
	kill -CONT "$cpid"
	finish client "$cpid"
	assert_equal "$status" 1
	assert_output "$LAB client: corrupt shared header (len 2147483647)"
	assert_file_not_exists out
	exec 8>&-
	finish server "$spid" 10
	assert_equal "$status" 1
	rm fifo

	echo data >in
	begin server bad -t 2 in
	corrupt_ring "$(full_name bad)" same_line 7
	run -1 "$PROG" client -n bad out
	assert_output "$LAB client: corrupt shared header (same_line 7)"
	assert_file_not_exists out
	finish server "$spid" 10
	assert_equal "$status" 1
	assert_output "$LAB server: no word from the client for 2 s"
}

@test "16: pinned to one CPU, a long spin does not make the copy crawl: the spinner yields" {
	command -v taskset >/dev/null || skip "taskset (util-linux) is missing"
	head -c $((4000000 / SLOW)) /dev/urandom >in
	# 1 s spins, 4000 hand-offs: here 0.05 s; without the yield in the spin
	# (tried) 31 s, each hand-off costing the spinner's time slice
	start copy taskset -c 0 "$PROG" copy -b 1000 -s 2 --spin 1000000 in out
	finish copy "$pid" 20
	assert_equal "$status" 0
	cmp in out
}

@test "16: pingpong prints a row for each of the five ways and the stream, pinned or saying why not" {
	run -0 "$PROG" pingpong -c $((500 / SLOW))
	assert_line --index 0 --regexp "^one-byte round trips: $((500 / SLOW)) per method, after $((500 / SLOW)) untimed; (pinger on CPU [0-9]+, echo on CPU [0-9]+|one CPU only: not pinned, the two take turns on it)$"
	assert_line --index 1 "method     median_us   p99_us  p99.9_us   cpu_ms  wall_ms   cpus futex/trip  vol_cs invol_cs"
	local num='[0-9]+\.[0-9]+' m i=2
	for m in pipe semaphore futex spin spin\\+futex; do
		assert_line --index "$i" --regexp "^$m +$num +$num +$num +$num +$num +$num +$num +[0-9]+ +[0-9]+$"
		i=$((i + 1))
	done
	assert_line --index 7 --regexp "^stream of $((50000 / SLOW)) counts, spinning: head and tail on a line each $num ns a count, on one line \(false sharing\) $num ns: ${num}x$"
	assert_equal "${#lines[@]}" 8
	# the futex way sleeps nearly every time (up to 4 calls a round trip: two
	# waits, two wakes); spinning only never makes one
	[[ ${lines[4]} =~ \ ([0-9.]+)\ +[0-9]+\ +[0-9]+$ ]] && [ "${BASH_REMATCH[1]%.*}" -ge 1 ] ||
		fail "futex: fewer than 1 call a round trip: ${lines[4]}"
	assert_line --index 5 --regexp " 0\.00 +[0-9]+ +[0-9]+$"
	# a pipe's reader sleeps on nearly every byte: a voluntary switch a round trip or more
	read -r -a f <<<"${lines[2]}"
	[ "${f[8]}" -ge $((500 / SLOW / 2)) ] || fail "pipe: only ${f[8]} voluntary switches for $((500 / SLOW)) round trips"
	if command -v taskset >/dev/null; then
		run -0 taskset -c 0 "$PROG" pingpong -c 200 --spin 0
		assert_line --index 0 --partial "one CPU only: not pinned, the two take turns on it"
	fi
}

# Is PID running (not gone, not a zombie)?
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ "$state" != Z ]
}

@test "16: pingpong METHOD plays that way alone: its row, no stream" {
	local num='[0-9]+\.[0-9]+' m
	for m in pipe spin+futex; do
		run -0 "$PROG" pingpong -c $((200 / SLOW)) "$m"
		assert_line --index 1 "method     median_us   p99_us  p99.9_us   cpu_ms  wall_ms   cpus futex/trip  vol_cs invol_cs"
		assert_line --index 2 --regexp "^${m/+/\\+} +$num +$num +$num +$num +$num +$num +$num +[0-9]+ +[0-9]+$"
		assert_equal "${#lines[@]}" 3
	done
}

@test "16: pingpong spin waits with no system call on two CPUs, and yields its CPU on one" {
	skip_under_valgrind "strace cannot trace valgrind's guest"
	need_strace
	# pinned to two CPUs, each side may use one: it must still pause, not
	# sched_yield, or every look at the ball is a system call it waits out
	if [ "$(nproc)" -ge 2 ]; then
		ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -c -o "$BATS_TEST_TMPDIR/two" -e trace=sched_yield "$PROG" pingpong -c $((20000 / SLOW)) spin
		assert_line --index 0 --partial "pinger on CPU"
		run grep -c sched_yield "$BATS_TEST_TMPDIR/two"
		assert_output 0
	fi
	# on one CPU the echo cannot run while the pinger spins: there it yields
	ASAN_OPTIONS=detect_leaks=0 run -0 taskset -c 0 strace -f -c -o "$BATS_TEST_TMPDIR/one" -e trace=sched_yield "$PROG" pingpong -c $((2000 / SLOW)) spin
	assert_line --index 0 --partial "one CPU only"
	# shellcheck disable=SC2016 # awk's own $NF
	run -0 awk '$NF == "sched_yield" { print $4 }' "$BATS_TEST_TMPDIR/one"
	[ "${output:-0}" -ge $((2000 / SLOW)) ] || fail "one CPU: only ${output:-0} sched_yield calls for $((2000 / SLOW)) round trips"
}

@test "16: pingpong's pinger killed by SIGKILL leaves no echo behind: pipe, semaphore, futex" {
	# the ways that sleep: the spinning ones wait as futex does, without the sleep
	local way i pinger echo
	for way in pipe semaphore futex; do
		# that way alone, long enough to be caught at it (it is killed at once)
		"$PROG" pingpong -c 10000000 "$way" >"$BATS_TEST_TMPDIR/pp" 2>&1 &
		pinger=$!
		echo "$pinger" >>"$BATS_TEST_TMPDIR/pids"
		# its echo: the pinger's one child, forked to play this way
		echo=''
		for ((i = 0; i < 1200; i++)); do
			echo=$(pgrep -P "$pinger" | head -n 1)
			[ -z "$echo" ] || break
			sleep 0.05
		done
		[ -n "$echo" ] || fail "no echo of $way within 60 s: $(cat "$BATS_TEST_TMPDIR/pp")"
		echo "$echo" >>"$BATS_TEST_TMPDIR/pids"
		kill -KILL "$pinger"
		wait "$pinger" 2>/dev/null || true
		# the echo of the pipes reads end of file at once; the others look every tick
		for ((i = 0; i < 50 * SLOW; i++)); do
			alive "$echo" || break
			sleep 0.1
		done
		! alive "$echo" || fail "the echo of $way (pid $echo) still runs 5 s after its pinger was killed"
		assert_equal "$(grep -c '^[a-z+]* .*[0-9]$' "$BATS_TEST_TMPDIR/pp")" 0 # killed in it, not after
	done
}

@test "16: no futex system call (ENOSYS): a clear error, exit 1" {
	skip_under_valgrind "strace cannot trace valgrind's guest"
	[ -z "${SHMLAB_SANITIZED:-}" ] || skip "the sanitizers' runtime makes futex calls of its own, and spins when they fail"
	need_strace
	echo data >in
	run -1 strace -o /dev/null -f -e trace=futex -e inject=futex:error=ENOSYS "$PROG" copy in out
	assert_output "$LAB: futex (this lab needs Linux's futex(2)): Function not implemented"
	assert_file_not_exists out
	run -1 strace -o /dev/null -f -e trace=futex -e inject=futex:error=ENOSYS "$PROG" pingpong -c 10
	assert_output "$LAB: futex (this lab needs Linux's futex(2)): Function not implemented"
}

@test "16: bad arguments are usage errors (exit 2)" {
	copier_usage_errors
	copier_ring_usage_errors
	run -2 "$PROG"
	assert_usage_error "missing subcommand: server, client, copy or pingpong"
	run -2 "$PROG" copy --spin in out
	assert_usage_error "MICROSECONDS 'in' is not a number"
	run -2 "$PROG" copy in out --spin
	assert_usage_error "option --spin needs a value"
	run -2 "$PROG" server --spin 1000001 in
	assert_usage_error "MICROSECONDS '1000001' is out of range (want 0 to 1000000)"
	run -2 "$PROG" client --same-line out
	assert_usage_error "unknown option '--same-line' for client"
	run -2 "$PROG" pingpong -c 0
	assert_usage_error "COUNT '0' is out of range (want 1 to 10000000)"
	run -2 "$PROG" pingpong -c
	assert_usage_error "option -c needs a value"
	run -2 "$PROG" pingpong --same-line
	assert_usage_error "unknown method '--same-line' for pingpong (want pipe, semaphore, futex, spin or spin+futex)"
}

@test "16: --spin and -c: the next word is the value; none, twice, or in the wrong place is a usage error" {
	run -2 "$PROG" pingpong -c 10 --spin
	assert_usage_error "option --spin needs a value"
	run -2 "$PROG" copy --spin -- in out # the value, whatever it says, as getopt's -b
	assert_usage_error "MICROSECONDS '--' is not a number"
	run -2 "$PROG" copy --spin 0 in out --spin 100
	assert_usage_error "option --spin given twice"
	run -2 "$PROG" pingpong -c 10 -c 20
	assert_usage_error "option -c given twice"
	run -2 "$PROG" copy -c 10 in out # pingpong's alone
	assert_usage_error "unknown option '-c' for copy"
	run -2 "$PROG" --spin 0 copy in out # the subcommand comes first
	assert_usage_error "unknown subcommand '--spin' (want server, client or copy)"
	run -2 "$PROG" pingpong -c 10 extra
	assert_usage_error "unknown method 'extra' for pingpong (want pipe, semaphore, futex, spin or spin+futex)"
	run -2 "$PROG" pingpong -c 10 pipe futex # one METHOD at most
	assert_usage_error "unexpected argument 'futex' for pingpong"
}

@test "16: -- ends the options: what follows is INPUT or OUTPUT, whatever it is called" {
	echo data >--same-line
	run -0 "$PROG" copy -- --same-line out
	cmp -- --same-line out
	run -0 "$PROG" copy --spin 0 -b 2 -- --same-line --spin
	cmp -- --same-line --spin
	begin server dash -- --same-line
	run -0 "$PROG" client -n dash -- --same-line2
	finish server "$spid"
	assert_equal "$status" 0
	cmp -- --same-line --same-line2
	run -2 "$PROG" pingpong -- -c
	assert_usage_error "unknown method '-c' for pingpong (want pipe, semaphore, futex, spin or spin+futex)"
	run -0 "$PROG" pingpong -c 1 -- # and nothing after it: no operand
	assert_line --index 0 --partial "one-byte round trips: 1 per method"
}

@test "16: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$PROG" -h
	assert_output "usage: 16-lockfree-ring server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] [--spin US] [--same-line] INPUT | client [-n NAME] [-t SECONDS] [--spin US] OUTPUT | copy [-b BYTES] [-s SLOTS] [-t SECONDS] [--spin US] [--same-line] INPUT OUTPUT | pingpong [-c COUNT] [--spin US] [METHOD]"
	assert_equal "$stderr" ""
}
