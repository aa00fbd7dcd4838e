#!/usr/bin/env bats
# 09-shm-copy: a server and a client copy a file through one shared buffer.
# shellcheck disable=SC2034,SC2154 # LAB is for copier.bash; run and copier.bash set status, stderr, pid...

load helper
load copier
bats_require_minimum_version 1.5.0

PROG="$BIN/09-shm-copy"
LAB=09-shm-copy

setup() { copier_setup; }
met() { wait_for_object "$1"; } # the server opens INPUT before it makes the object
client_waits() { asleep "$cpid"; } # in its naps, polling for the server
teardown() {
	exec 8>&-
	[ -z "${perm_dir:-}" ] || rm -rf "$perm_dir"
	shmlab_teardown
}

@test "09: copy is byte-exact for 0, 1, chunk-1, chunk, chunk+1 bytes and many chunks" {
	copier_byte_exact_sizes
}

@test "09: the default chunk is 1 MiB" {
	copier_default_chunk 1048576
}

@test "09: binary data: every byte value, NULs and newlines included" {
	copier_binary_data
}

@test "09: a sparse 5 GiB input streamed to stdout is byte-exact (offsets past 4 GiB)" {
	copier_sparse_5g_to_stdout 5120
}

@test "09: a sparse 5 GiB input copied to a file is byte-exact" {
	copier_sparse_5g_to_file
}

@test "09: input from a pipe, output to a pipe" {
	copier_pipes
}

@test "09: server first, then client; and client first, then server" {
	copier_either_order 1
}

@test "09: server from stdin, client to stdout" {
	copier_stdin_stdout
}

@test "09: OUTPUT is replaced only when complete, with the usual permissions" {
	copier_output_replaced_when_complete
}

@test "09: input missing or a directory: exit 1, no OUTPUT, nothing left" {
	copier_bad_input
}

@test "09: output directory missing, OUTPUT a directory: exit 1, nothing left" {
	copier_bad_output
}

@test "09: input unreadable, output directory unwritable: exit 1, nothing left" {
	copier_permissions
}

@test "09: OUTPUT on /dev/full: ENOSPC reported, exit 1, no temp file in /dev" {
	copier_dev_full
}

@test "09: a peer that never comes: each side gives up after -t seconds" {
	copier_peer_never_comes "no word from the client for 1 s"
}

@test "09: a side killed mid-copy: the other gives up after -t seconds, exit 1, nothing left" {
	copier_one_side_stops "KILL INT TERM" "no word from the VICTIM for 1 s" - -t 1 # - : a client killed
	# by SIGKILL would leave its temp file beside OUTPUT
}

@test "09: a second server on a name in use: File exists, exit 1, the first copy goes on" {
	copier_second_server
}

@test "09: a second client on a name that has one: in use, exit 1, the first copy byte-exact" {
	copier_second_client
}

@test "09: copy: either child killed with SIGKILL: it stops within 5 s, exit 1, nothing left" {
	copier_copy_child_killed
}

@test "09: copy: SIGINT or SIGTERM stops the parent and both children" {
	copier_copy_signals
}

@test "09: bad arguments are usage errors (exit 2)" {
	copier_usage_errors
	run -2 "$PROG" copy -s 4 in out
	assert_usage_error "unknown option '-s' for copy"
}

@test "09: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$PROG" -h
	assert_output "usage: 09-shm-copy server [-n NAME] [-b BYTES] [-t SECONDS] INPUT | client [-n NAME] [-t SECONDS] OUTPUT | copy [-b BYTES] [-t SECONDS] INPUT OUTPUT"
	assert_equal "$stderr" ""
}
