#!/usr/bin/env bats
# 10-shm-ring-copy: the copier of 09 with a ring of SLOTS buffers.
# shellcheck disable=SC2034,SC2154 # LAB is for copier.bash; run and copier.bash set status, stderr, pid...

load helper
load copier
bats_require_minimum_version 1.5.0

PROG="$BIN/10-shm-ring-copy"
LAB=10-shm-ring-copy

setup() { copier_setup; }
met() { wait_for_object "$1"; } # the server opens INPUT before it makes the object
client_waits() { asleep "$cpid"; } # in its naps, polling for the server
teardown() {
	exec 8>&-
	[ -z "${perm_dir:-}" ] || rm -rf "$perm_dir"
	shmlab_teardown
}

@test "10: copy is byte-exact for 0, 1, chunk-1, chunk, chunk+1 bytes and many chunks" {
	copier_byte_exact_sizes
}

@test "10: the default chunk is 64 KiB" {
	copier_default_chunk 65536
}

@test "10: byte-exact with 1, 2, 3 and 7 slots, the ring wrapping many times" {
	copier_ring_slots
}

@test "10: the default ring is 4 slots of 64 KiB, and the server may set it" {
	copier_default_ring
}

@test "10: a progress line on a terminal, none otherwise" {
	command -v script >/dev/null || skip "script (util-linux) is missing to give the copy a terminal"
	head -c 20000000 /dev/zero >in
	run -0 script -qec "'$PROG' copy -b 4096 in out" /dev/null
	cmp in out
	assert_output --regexp "MB of 20.0 MB \([0-9]+%\), [0-9.]+ MB/s"
	assert_output --partial "20.0 MB of 20.0 MB (100%)" # the last figure, whatever the timing
	# erased before the end of file is posted: no summary ever starts on the progress line
	refute_output --regexp "MB/s +10-shm-ring-copy"
	assert_output --partial "10-shm-ring-copy server: sent 20000000 bytes in 4883 chunks"
	# not a terminal: the two summary lines and nothing else
	run --separate-stderr -0 "$PROG" copy -b 4096 in out
	assert_equal "$(sort <<<"$stderr")" "$(summary 20000000 4883)"
}

@test "10: a 09-shm-copy client does not take a ring for its own: exit 1, nothing written" {
	[ -x "$BIN/09-shm-copy" ] || skip "09-shm-copy is not built"
	echo data >in
	begin server mixed in
	run -1 "$BIN/09-shm-copy" client -n mixed -t 1 out
	assert_output "09-shm-copy client: the server did not make the object ready within 1 s"
	assert_file_not_exists out
	assert_file_exists "/dev/shm/$SHMLAB_IPC_PREFIX.mixed" # not its own: left to its server
	stop_bg "$spid"
}

@test "10: binary data: every byte value, NULs and newlines included" {
	copier_binary_data
}

@test "10: a sparse 5 GiB input streamed to stdout is byte-exact (offsets past 4 GiB)" {
	copier_sparse_5g_to_stdout 81920
}

@test "10: a sparse 5 GiB input copied to a file is byte-exact" {
	copier_sparse_5g_to_file
}

@test "10: input from a pipe, output to a pipe" {
	copier_pipes
}

@test "10: server first, then client; and client first, then server" {
	copier_either_order 4
}

@test "10: server from stdin, client to stdout" {
	copier_stdin_stdout
}

@test "10: OUTPUT is replaced only when complete, with the usual permissions" {
	copier_output_replaced_when_complete
}

@test "10: input missing or a directory: exit 1, no OUTPUT, nothing left" {
	copier_bad_input
}

@test "10: output directory missing, OUTPUT a directory: exit 1, nothing left" {
	copier_bad_output
}

@test "10: input unreadable, output directory unwritable: exit 1, nothing left" {
	copier_permissions
}

@test "10: OUTPUT on /dev/full: ENOSPC reported, exit 1, no temp file in /dev" {
	copier_dev_full
}

@test "10: a peer that never comes: each side gives up after -t seconds" {
	copier_peer_never_comes "no word from the client for 1 s"
}

@test "10: a side killed mid-copy: the other gives up after -t seconds, exit 1, nothing left" {
	copier_one_side_stops "KILL INT TERM" "no word from the VICTIM for 1 s" - -t 1 # - : a client killed
	# by SIGKILL would leave its temp file beside OUTPUT
}

@test "10: a second server on a name in use: File exists, exit 1, the first copy goes on" {
	copier_second_server
}

@test "10: a second client on a name that has one: in use, exit 1, the first copy byte-exact" {
	copier_second_client
}

@test "10: copy: either child killed with SIGKILL: it stops within 5 s, exit 1, nothing left" {
	copier_copy_child_killed
}

@test "10: copy: SIGINT or SIGTERM stops the parent and both children" {
	copier_copy_signals
}

@test "10: bad arguments are usage errors (exit 2)" {
	copier_usage_errors
	copier_ring_usage_errors
}

@test "10: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$PROG" -h
	assert_output "usage: 10-shm-ring-copy server [-n NAME] [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT | client [-n NAME] [-t SECONDS] OUTPUT | copy [-b BYTES] [-s SLOTS] [-t SECONDS] INPUT OUTPUT"
	assert_equal "$stderr" ""
}
