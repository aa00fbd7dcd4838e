#!/usr/bin/env bats
# 09-shm-copy: a server and a client copy a file through one shared buffer.
# shellcheck disable=SC2034,SC2154 # LAB is for copier.bash; run and copier.bash set status, stderr, pid...

load helper
load copier
bats_require_minimum_version 1.5.0

PROG="$BIN/09-shm-copy"
LAB=09-shm-copy

setup_file() { build_corrupt_header; }
setup() { copier_setup; }
teardown() {
	exec 8>&-
	[ -z "${perm_dir:-}" ] || rm -rf "$perm_dir"
	shmlab_teardown
}

@test "09: copy is byte-exact for 0, 1, chunk-1, chunk, chunk+1 bytes and many chunks" {
	for size in 0 1 4095 4096 4097 1000000; do
		head -c "$size" /dev/urandom >in
		run --separate-stderr -0 "$PROG" copy -b 4096 in out
		cmp in out
		assert_output ""
		assert_equal "$(sort <<<"$stderr")" "$(summary "$size" $(((size + 4095) / 4096)))"
	done
}

@test "09: the default chunk is 1 MiB" {
	for size in 1048575 1048576 1048577 4194304; do
		head -c "$size" /dev/urandom >in
		run --separate-stderr -0 "$PROG" copy in out
		cmp in out
		assert_equal "$(sort <<<"$stderr")" "$(summary "$size" $(((size + 1048575) / 1048576)))"
	done
}

@test "09: binary data: every byte value, NULs and newlines included" {
	for i in $(seq 0 255); do printf '%b' "\\0$(printf '%03o' "$i")"; done >in
	cat in in in >>in2
	mv in2 in
	run -0 "$PROG" copy -b 100 in out
	cmp in out
	assert_equal "$(stat -c %s out)" 768
}

@test "09: a sparse 5 GiB input streamed to stdout is byte-exact (offsets past 4 GiB)" {
	truncate -s 5G in
	run -0 bash -c "'$PROG' copy in - 2>err | cmp - in"
	assert_output ""
	assert_equal "$(sort err)" "$(summary 5368709120 5120)"
}

@test "09: a sparse 5 GiB input copied to a file is byte-exact" {
	local avail
	avail=$(df -P -k . | awk 'NR == 2 { print $4 }')
	[ "$avail" -gt $((7 * 1024 * 1024)) ] ||
		skip "needs 7 GiB free in $BATS_TEST_TMPDIR, has $((avail / 1024)) MiB"
	truncate -s 5G in
	run -0 "$PROG" copy -b 1048576 in out
	assert_equal "$(stat -c %s out)" 5368709120
	cmp in out
	rm -f out
}

@test "09: input from a pipe, output to a pipe" {
	head -c 300000 /dev/urandom >in
	run -0 bash -c "cat in | '$PROG' copy - out"
	cmp in out
	run -0 bash -c "'$PROG' copy in - 2>/dev/null | cat >piped"
	cmp in piped
	run -0 bash -c "cat in | '$PROG' copy -b 1000 - - 2>/dev/null | cmp - in"
}

@test "09: server first, then client; and client first, then server" {
	head -c 200000 /dev/urandom >in
	start server "$PROG" server -n order in
	spid=$pid
	wait_for_object order
	run -0 "$PROG" client -n order out
	assert_output "09-shm-copy client: received 200000 bytes in 1 chunk"
	finish server "$spid"
	assert_equal "$status" 0
	assert_output "09-shm-copy server: sent 200000 bytes in 1 chunk"
	cmp in out

	start client "$PROG" client -n order out2
	cpid=$pid
	wait_for_object order
	run -0 "$PROG" server -n order -b 1000 in
	assert_output "09-shm-copy server: sent 200000 bytes in 200 chunks"
	finish client "$cpid"
	assert_equal "$status" 0
	assert_output "09-shm-copy client: received 200000 bytes in 200 chunks"
	cmp in out2
}

@test "09: server from stdin, client to stdout" {
	head -c 150000 /dev/urandom >in
	start client "$PROG" client -n pipes -
	cpid=$pid
	wait_for_object pipes
	run -0 bash -c "cat in | '$PROG' server -n pipes -"
	finish client "$cpid"
	assert_equal "$status" 0
	cmp in client.out
}

@test "09: OUTPUT is replaced only when complete, with the usual permissions" {
	echo old >out
	hold_fifo fifo
	start copy bash -c "umask 022 && exec '$PROG' copy fifo out"
	cpid=$pid
	printf 'new data' >&8
	sleep 0.5
	assert_equal "$(cat out)" old # the copy writes a temp file beside it
	exec 8>&-
	finish copy "$cpid"
	assert_equal "$status" 0
	assert_equal "$(cat out)" "new data"
	assert_equal "$(stat -c %a out)" 644
}

@test "09: input missing or a directory: exit 1, no OUTPUT, nothing left" {
	run -1 "$PROG" copy nosuch out
	assert_output --partial "09-shm-copy server: open nosuch: No such file or directory"
	assert_file_not_exists out
	mkdir dir
	run -1 "$PROG" copy dir out
	assert_output --partial "09-shm-copy server: read dir: Is a directory"
	assert_file_not_exists out
	run -1 "$PROG" copy /proc/self/mem out # a read error on the way
	assert_output --regexp "read /proc/self/mem: (Input/output|I/O) error"
	assert_file_not_exists out
}

@test "09: output directory missing, OUTPUT a directory: exit 1, nothing left" {
	echo data >in
	run -1 "$PROG" copy in nodir/out
	assert_output "09-shm-copy: create a temp file beside nodir/out: No such file or directory"
	mkdir dir
	run -1 "$PROG" copy in dir
	assert_output "09-shm-copy: write dir: Is a directory"
}

@test "09: input unreadable, output directory unwritable: exit 1, nothing left" {
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "root reads everything; setpriv is missing to test as nobody"
		unprivileged test -x "$PROG" || skip "$PROG is not reachable by user nobody"
	fi
	perm_dir=$(mktemp -d /tmp/copier-perm.XXXXXX)
	chmod 755 "$perm_dir"
	echo secret >"$perm_dir/in"
	chmod 600 "$perm_dir/in"
	mkdir "$perm_dir/ro" "$perm_dir/rw"
	chmod 777 "$perm_dir/rw"
	echo data >"$perm_dir/open"
	chmod 644 "$perm_dir/open"
	chmod 555 "$perm_dir/ro"
	[ "$(id -u)" -eq 0 ] || chmod 000 "$perm_dir/in"
	run -1 unprivileged "$PROG" copy "$perm_dir/in" "$perm_dir/rw/out"
	assert_output --partial "open $perm_dir/in: Permission denied"
	run -1 unprivileged "$PROG" copy "$perm_dir/open" "$perm_dir/ro/out"
	assert_output --partial "create a temp file beside $perm_dir/ro/out: Permission denied"
	run ls -A "$perm_dir/rw"
	assert_output ""
	assert_file_not_exists "$perm_dir/ro/out"
	run ls -A "$perm_dir/ro"
	assert_output ""
}

@test "09: OUTPUT on /dev/full: ENOSPC reported, exit 1, no temp file in /dev" {
	head -c 100000 /dev/urandom >in
	run -1 "$PROG" copy in /dev/full
	assert_output --partial "09-shm-copy client: write /dev/full: No space left on device"
	refute_output --partial "sent"
	assert_equal "$(find /dev -maxdepth 1 -name 'shmlab-*')" ""
	# the standalone server hears of it and fails too
	start server "$PROG" server -n full in
	spid=$pid
	run -1 "$PROG" client -n full /dev/full
	assert_output "09-shm-copy client: write /dev/full: No space left on device"
	finish server "$spid" 5
	assert_equal "$status" 1
	assert_output "09-shm-copy server: the client stopped"
}

@test "09: a side that fails on its file stops the waiting peer at once" {
	echo data >in
	start client "$PROG" client -n f out
	cpid=$pid
	wait_for_object f
	run -1 "$PROG" server -n f nosuch
	assert_output "09-shm-copy server: open nosuch: No such file or directory"
	finish client "$cpid" 5
	assert_equal "$status" 1
	assert_output "09-shm-copy client: the server stopped"
	assert_file_not_exists out

	start server "$PROG" server -n f in
	spid=$pid
	wait_for_object f
	run -1 "$PROG" client -n f nodir/out
	assert_output "09-shm-copy client: create a temp file beside nodir/out: No such file or directory"
	finish server "$spid" 5
	assert_equal "$status" 1
	assert_output "09-shm-copy server: the client stopped"
}

@test "09: a peer that never comes: each side gives up after -t seconds" {
	echo data >in
	run -1 "$PROG" server -n lone -t 1 in
	assert_output "09-shm-copy server: no client came within 1 s"
	run -1 "$PROG" client -n lone -t 1 out
	assert_output "09-shm-copy client: no server came within 1 s"
	assert_file_not_exists out
}

@test "09: a name in use: the newcomer says so, exits 1 and disturbs nothing" {
	head -c 300000 /dev/urandom >in
	start server "$PROG" server -n busy in
	spid=$pid
	wait_for_object busy
	run -1 "$PROG" server -n busy in
	assert_output "09-shm-copy server: name 'busy' is in use ($(full_name busy))"
	run -0 "$PROG" client -n busy out
	finish server "$spid"
	assert_equal "$status" 0
	cmp in out

	# while a copy runs
	hold_fifo fifo
	start server "$PROG" server -n busy fifo
	spid=$pid
	start client "$PROG" client -n busy out2
	cpid=$pid
	corrupt_header "$(full_name busy)" pids >/dev/null
	run -1 "$PROG" client -n busy out3
	assert_output "09-shm-copy client: name 'busy' is in use ($(full_name busy))"
	run -1 "$PROG" server -n busy in
	assert_output --partial "is in use"
	assert_file_not_exists out3
	printf 'still fine' >&8
	exec 8>&-
	finish client "$cpid"
	assert_equal "$status" 0
	finish server "$spid"
	assert_equal "$status" 0
	assert_equal "$(cat out2)" "still fine"
}

@test "09: server killed with SIGKILL mid-copy: the client stops within 5 s, exit 1" {
	hold_fifo fifo
	start server "$PROG" server -n kill fifo
	spid=$pid
	start client "$PROG" client -n kill out
	cpid=$pid
	printf 'some data' >&8
	corrupt_header "$(full_name kill)" pids >/dev/null
	mark_time
	kill -9 "$spid"
	finish client "$cpid" 10
	assert_equal "$status" 1
	assert_output --regexp "^09-shm-copy client: the server \(pid [0-9]+\) died$"
	[ "$elapsed_ms" -lt 5000 ] || fail "took $elapsed_ms ms"
	assert_file_not_exists out
	finish server "$spid"
	assert_equal "$status" 137
}

@test "09: client killed with SIGKILL mid-copy: the server stops within 5 s, exit 1" {
	head -c 1000000 /dev/urandom >in
	hold_fifo outfifo # nobody reads it: the client blocks in write()
	start server "$PROG" server -n kill in
	spid=$pid
	start client "$PROG" client -n kill outfifo
	cpid=$pid
	corrupt_header "$(full_name kill)" pids >/dev/null
	sleep 0.2
	mark_time
	kill -9 "$cpid"
	finish server "$spid" 10
	assert_equal "$status" 1
	assert_output --regexp "^09-shm-copy server: the client \(pid [0-9]+\) died$"
	[ "$elapsed_ms" -lt 5000 ] || fail "took $elapsed_ms ms"
	finish client "$cpid"
	assert_equal "$status" 137
}

@test "09: copy: either child killed with SIGKILL: it stops within 5 s, exit 1, nothing left" {
	for victim in server client; do
		hold_fifo fifo
		start copy "$PROG" copy fifo out
		ppid=$pid
		read -r spid cpid < <(corrupt_header "$(full_name "copy-$ppid")" pids)
		[ -n "$cpid" ] || fail "no pids"
		assert_file_exists shmlab-copy.* # the temp OUTPUT
		mark_time
		if [ "$victim" = server ]; then kill -9 "$spid"; else kill -9 "$cpid"; fi
		finish copy "$ppid" 10
		assert_equal "$status" 1
		assert_output --regexp "killed by signal 9"
		[ "$elapsed_ms" -lt 5000 ] || fail "$victim: took $elapsed_ms ms"
		assert_file_not_exists out
		exec 8>&-
		rm fifo
		assert_nothing_left
	done
}

@test "09: SIGINT or SIGTERM to either side: both stop, exit non-zero, nothing left" {
	for sig in INT TERM; do
		for victim in server client; do
			hold_fifo fifo
			start server "$PROG" server -n sig fifo
			spid=$pid
			start client "$PROG" client -n sig out
			cpid=$pid
			corrupt_header "$(full_name sig)" pids >/dev/null
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
			[ "$status" -gt 128 ] || fail "$victim: exit $status after SIG$sig"
			finish "$other" "$opid" 10
			assert_equal "$status" 1
			assert_output "09-shm-copy $other: the $victim stopped"
			[ "$elapsed_ms" -lt 5000 ] || fail "took $elapsed_ms ms"
			assert_file_not_exists out
			exec 8>&-
			rm fifo
			assert_nothing_left
		done
	done
}

@test "09: copy: SIGINT or SIGTERM stops the parent and both children" {
	hold_fifo fifo
	interrupt_midrun INT 0.5 "$PROG" copy fifo dst
	assert_file_not_exists dst
	interrupt_midrun TERM 0.5 "$PROG" copy fifo dst
	assert_file_not_exists dst
}

@test "09: a corrupt header (magic, version, chunk, size): the client says so and exits 1" {
	echo data >in
	# FIELD VALUE[:what the client reports, if not FIELD VALUE]
	for entry in "magic 0x12345678" "version 10" "chunk 0" "chunk 0xffffffff" "chunk 2097152:size 1052672"; do
		start server "$PROG" server -n bad in
		spid=$pid
		wait_for_object bad
		read -r field value <<<"${entry%%:*}"
		corrupt_header "$(full_name bad)" "$field" "$value"
		want="$field $((value))"
		[[ $entry != *:* ]] || want=${entry#*:}
		run -1 "$PROG" client -n bad out
		assert_output "09-shm-copy client: corrupt shared header ($want)"
		assert_file_not_exists out
		kill -TERM "$spid" 2>/dev/null || true # it waits for a client (magic, version)
		finish server "$spid"
		[ "$status" -ne 0 ] || fail "server: exit 0"
	done
}

@test "09: a corrupt chunk length mid-copy: the client exits 1 before writing it" {
	hold_fifo fifo
	start server "$PROG" server -n bad fifo
	spid=$pid
	start client "$PROG" client -n bad out
	cpid=$pid
	corrupt_header "$(full_name bad)" pids >/dev/null
	kill -STOP "$cpid"
	printf 'hello' >&8
	corrupt_header "$(full_name bad)" len 0x7fffffff # once the server has filled it
	kill -CONT "$cpid"
	finish client "$cpid"
	assert_equal "$status" 1
	assert_output "09-shm-copy client: corrupt shared header (len 2147483647)"
	assert_file_not_exists out
	exec 8>&-
	finish server "$spid" 10
	assert_equal "$status" 1
	assert_output "09-shm-copy server: the client stopped"
}

@test "09: bad arguments are usage errors (exit 2)" {
	run -2 "$PROG"
	assert_usage_error "missing subcommand"
	run -2 "$PROG" send in
	assert_usage_error "unknown subcommand 'send'"
	run -2 "$PROG" copy in
	assert_usage_error "missing OUTPUT"
	run -2 "$PROG" server
	assert_usage_error "missing INPUT"
	run -2 "$PROG" client
	assert_usage_error "missing OUTPUT"
	run -2 "$PROG" copy in out extra
	assert_usage_error "unexpected argument 'extra'"
	run -2 "$PROG" copy -b 0 in out
	assert_usage_error "BYTES '0' is out of range (want 1 to 67108864)"
	run -2 "$PROG" copy -b 67108865 in out
	assert_usage_error "BYTES '67108865' is out of range"
	run -2 "$PROG" copy -b 1k in out
	assert_usage_error "BYTES '1k' is not a number"
	run -2 "$PROG" server -t 0 in
	assert_usage_error "SECONDS '0' is out of range"
	run -2 "$PROG" copy -s 4 in out
	assert_usage_error "unknown option '-s' for copy"
	run -2 "$PROG" client -b 10 out
	assert_usage_error "unknown option '-b' for client"
	run -2 "$PROG" copy -b
	assert_usage_error "option -b needs a value"
	run -2 "$PROG" server -n ../x in
	assert_usage_error "name '../x' is invalid"
}

@test "09: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$PROG" -h
	assert_output "usage: 09-shm-copy server [-n NAME] [-b BYTES] [-t SECONDS] INPUT | client [-n NAME] [-t SECONDS] OUTPUT | copy [-b BYTES] INPUT OUTPUT"
	assert_equal "$stderr" ""
}
