#!/usr/bin/env bats
# 11-robust-copy: the copier of 10 that survives its peer: either start order,
# a dead peer noticed within a tick, an untrusted header, who removes what.
# shellcheck disable=SC2030,SC2031,SC2034,SC2154 # LAB is for copier.bash; run and copier.bash set status, stderr, pid... (per test)

load helper
load copier
bats_require_minimum_version 1.5.0

PROG="$BIN/11-robust-copy"
LAB=11-robust-copy

# The test tool that tampers with a running 11-robust-copy's header
# (tests/corrupt-header.c).
build_corrupt_header() {
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic \
		-I"$BATS_TEST_DIRNAME/../labs/11-robust-copy" -I"$BATS_TEST_DIRNAME/../common" \
		-o "$BATS_FILE_TMPDIR/corrupt-header" "$BATS_TEST_DIRNAME/corrupt-header.c"
}
corrupt_header() { "$BATS_FILE_TMPDIR/corrupt-header" "$@"; }


setup_file() { build_corrupt_header; }
setup() { copier_setup; }
met() { corrupt_header "$(full_name "$1")" pids >/dev/null; } # state RUNNING: both are past setting up
client_waits() { wait_for_object "$1"; } # a client that comes first makes the object
teardown() {
	exec 8>&-
	[ -z "${nanny:-}" ] || stop_bg "$nanny" # a test that failed early leaves it
	[ -z "${perm_dir:-}" ] || rm -rf "$perm_dir"
	shmlab_teardown
}

@test "11: copy is byte-exact for 0, 1, chunk-1, chunk, chunk+1 bytes and many chunks" {
	copier_byte_exact_sizes
}

@test "11: the default chunk is 64 KiB" {
	copier_default_chunk 65536
}

@test "11: byte-exact with 1, 2, 3 and 7 slots, the ring wrapping many times" {
	copier_ring_slots
}

@test "11: the default ring is 4 slots of 64 KiB, and the server may set it" {
	copier_default_ring
}

@test "11: binary data: every byte value, NULs and newlines included" {
	copier_binary_data
}

@test "11: a sparse 5 GiB input streamed to stdout is byte-exact (offsets past 4 GiB)" {
	copier_sparse_5g_to_stdout 81920
}

@test "11: a sparse 5 GiB input copied to a file is byte-exact" {
	copier_sparse_5g_to_file
}

@test "11: input from a pipe, output to a pipe" {
	copier_pipes
}

@test "11: server first, then client; and client first, then server" {
	copier_either_order 4
}

@test "11: server from stdin, client to stdout" {
	copier_stdin_stdout
}

@test "11: OUTPUT is replaced only when complete, with the usual permissions" {
	copier_output_replaced_when_complete
}

@test "11: input missing or a directory: exit 1, no OUTPUT, nothing left" {
	copier_bad_input
}

@test "11: output directory missing, OUTPUT a directory: exit 1, nothing left" {
	copier_bad_output
}

@test "11: input unreadable, output directory unwritable: exit 1, nothing left" {
	copier_permissions
}

@test "11: OUTPUT on /dev/full: ENOSPC reported, exit 1, no temp file in /dev" {
	copier_dev_full
	# the standalone server hears of it and fails too
	start server "$PROG" server -n full in
	spid=$pid
	run -1 "$PROG" client -n full /dev/full
	assert_output "$LAB client: write /dev/full: No space left on device"
	finish server "$spid" 5
	assert_equal "$status" 1
	assert_output "$LAB server: the client stopped"
}

@test "11: a side that fails on its file stops the waiting peer at once" {
	echo data >in
	begin client f out
	run -1 "$PROG" server -n f nosuch
	assert_output "$LAB server: open nosuch: No such file or directory"
	finish client "$cpid" 5
	assert_equal "$status" 1
	assert_output "$LAB client: the server stopped"
	assert_file_not_exists out

	begin server f in
	run -1 "$PROG" client -n f nodir/out
	assert_output "$LAB client: create a temp file beside nodir/out: No such file or directory"
	finish server "$spid" 5
	assert_equal "$status" 1
	assert_output "$LAB server: the client stopped"
}

@test "11: a peer that never comes: each side gives up after -t seconds" {
	copier_peer_never_comes "no client came within 1 s"
}

@test "11: a name in use: the newcomer says so, exits 1 and disturbs nothing" {
	head -c 300000 /dev/urandom >in
	begin server busy in
	run -1 "$PROG" server -n busy in
	assert_output "$LAB server: name 'busy' is in use ($(full_name busy))"
	run -0 "$PROG" client -n busy out
	finish server "$spid"
	assert_equal "$status" 0
	cmp in out

	# while a copy runs
	meet busy out2
	run -1 "$PROG" client -n busy out3
	assert_output "$LAB client: name 'busy' is in use ($(full_name busy))"
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

@test "11: server killed with SIGKILL mid-copy: the client stops within 5 s, exit 1" {
	meet kill out
	printf 'some data' >&8
	mark_time
	kill -9 "$spid"
	finish client "$cpid" 10
	assert_equal "$status" 1
	assert_output --regexp "^$LAB client: the server \(pid [0-9]+\) died$"
	[ "$elapsed_ms" -lt 5000 ] || fail "took $elapsed_ms ms"
	assert_file_not_exists out
	finish server "$spid"
	assert_equal "$status" 137
}

@test "11: client killed with SIGKILL mid-copy: the server stops within 5 s, exit 1" {
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
	assert_output --regexp "^$LAB server: the client \(pid [0-9]+\) died$"
	[ "$elapsed_ms" -lt 5000 ] || fail "took $elapsed_ms ms"
	finish client "$cpid"
	assert_equal "$status" 137
}

@test "11: a client killed while its parent does not reap it (a zombie): the server says it died" {
	copier_zombie_client
}

@test "11: copy: either child killed with SIGKILL: it stops within 5 s, exit 1, nothing left" {
	copier_copy_child_killed
}

@test "11: SIGINT or SIGTERM to either side: both stop, exit non-zero, nothing left" {
	copier_one_side_stops "INT TERM" "the VICTIM stopped" out
}

@test "11: copy: SIGINT or SIGTERM stops the parent and both children" {
	copier_copy_signals
}

@test "11: a corrupt header (magic, chunk, slots, size): the client says so and exits 1" {
	local entry field value want
	set -- "magic 0x12345678" "chunk 0" "chunk 0xffffffff" "slots 0" "slots 1025" \
		"chunk 1048576:size 270336" "slots 1024:size 270336"
	echo data >in
	for entry in "$@"; do
		begin server bad in
		read -r field value <<<"${entry%%:*}"
		corrupt_header "$(full_name bad)" "$field" "$value"
		want="$field $((value))"
		[[ $entry != *:* ]] || want=${entry#*:}
		run -1 "$PROG" client -n bad out
		assert_output "$LAB client: corrupt shared header ($want)"
		assert_file_not_exists out
		kill -TERM "$spid" 2>/dev/null || true # it waits for a client (magic)
		finish server "$spid"
		[ "$status" -ne 0 ] || fail "server: exit 0"
	done
}

@test "11: a corrupt chunk length mid-copy: the client exits 1 before writing it" {
	meet bad out
	kill -STOP "$cpid"
	printf 'hello' >&8
	corrupt_header "$(full_name bad)" len 0x7fffffff # once the server has filled it
	kill -CONT "$cpid"
	finish client "$cpid"
	assert_equal "$status" 1
	assert_output "$LAB client: corrupt shared header (len 2147483647)"
	assert_file_not_exists out
	exec 8>&-
	finish server "$spid" 10
	assert_equal "$status" 1
	assert_output "$LAB server: the client stopped"
}

@test "11: bad arguments are usage errors (exit 2)" {
	copier_usage_errors
	copier_ring_usage_errors
}

@test "11: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$PROG" -h
	assert_output "usage: 11-robust-copy server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT | client [-n NAME] [-t SECONDS] OUTPUT | copy [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT OUTPUT"
	assert_equal "$stderr" ""
}
