#!/usr/bin/env bats
# Hostile command lines across every lab: each must end with exit 1 (runtime)
# or 2 (usage) and a message on stderr - never a signal, never a hang (a
# timeout fails it), never exit 0 - and leave nothing behind.

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
load helper
bats_require_minimum_version 1.5.0

# expect STATUS [VAR=VALUE...] PROGRAM ARGS...: one hostile case.
expect() {
	local want=$1 envs=()
	shift
	while [[ $1 =~ ^[A-Z_]+= ]]; do
		envs+=("$1")
		shift
	done
	local prog=$1
	shift
	run --separate-stderr timeout 30 env "${envs[@]}" "$BIN/$prog" "$@"
	local shown="${envs[*]} $prog $*"
	[ "$status" -ne 124 ] || fail "hung (killed after 30 s): $shown"
	[ "$status" -lt 128 ] || fail "died of signal $((status - 128)): $shown"
	[ "$status" -eq "$want" ] || fail "exit $status, want $want: $shown (stderr: $stderr)"
	[[ $stderr == *"$prog"* ]] || fail "no message naming $prog on stderr: $shown (stderr: '$stderr')"
	cases=$((cases + 1))
}

setup() {
	shmlab_setup
	cases=0
	dir=$BATS_TEST_TMPDIR
	printf 'some input\n' >"$dir/in"
	: >"$dir/empty"
	long=$(printf 'n%.0s' {1..300})
}

teardown() {
	shmlab_teardown
	# no System V segment of ours left either (08's keys come from files here)
	run ipcs -m
	refute_output --partial "$BATS_TEST_TMPDIR"
}

@test "hostile: counter labs 01-05" {
	expect 2 01-fork-counter ""
	expect 2 01-fork-counter -- -5
	expect 2 01-fork-counter 99999999999999999999999999
	expect 2 01-fork-counter -q
	expect 2 01-fork-counter 5 --bogus
	expect 2 02-shared-race -f
	expect 2 02-shared-race -v 5000
	expect 1 02-shared-race -q -f "$dir" 5
	expect 1 02-shared-race -q -f /dev/full 5
	expect 1 02-shared-race -q -f /nonexistent/dir/file 5
	# valgrind itself cannot start without a TMPDIR
	[ -n "${SHMLAB_VALGRIND:-}" ] || expect 1 TMPDIR=/nonexistent 02-shared-race -q 5
	expect 2 SHMLAB_IPC_PREFIX= 03-named-semaphore -q 5
	expect 2 SHMLAB_IPC_PREFIX=a/b 03-named-semaphore -q 5
	expect 2 SHMLAB_IPC_PREFIX=.. 03-named-semaphore -q 5
	expect 2 SHMLAB_IPC_PREFIX="$long" 03-named-semaphore -q 5
	expect 2 04-semaphore-in-shm 0x10
	expect 2 05-anonymous-shm -f "$dir/x" 5
	expect 2 05-anonymous-shm --dev-zero
	echo "# $cases cases" >&3
}

@test "hostile: 06-08, a mapped file, POSIX and System V objects" {
	expect 2 06-mmap-file
	expect 2 06-mmap-file shared
	expect 2 06-mmap-file frobnicate
	expect 1 06-mmap-file eof "$dir"
	expect 1 06-mmap-file eof /dev/full
	expect 1 06-mmap-file eof "$dir/empty"
	expect 1 06-mmap-file eof "$dir/missing"
	expect 2 06-mmap-file shared -w abc TEXT
	expect 2 07-posix-shm create "" 4096
	expect 2 07-posix-shm create a/b 4096
	expect 2 07-posix-shm create ../x 4096
	expect 2 07-posix-shm create "$long" 4096
	expect 2 07-posix-shm create x -5
	expect 2 07-posix-shm create x 0
	expect 2 07-posix-shm create x 99999999999999999999
	expect 2 07-posix-shm create x
	expect 1 07-posix-shm read missing
	expect 1 07-posix-shm unlink missing
	expect 2 07-posix-shm client x 0
	expect 2 07-posix-shm server -t -1 x
	expect 2 SHMLAB_IPC_PREFIX=bad/prefix 07-posix-shm info x
	expect 1 08-sysv-shm create -k "$dir/missing" 4096
	expect 2 08-sysv-shm create -k "$dir/in" 0
	expect 2 08-sysv-shm create -k
	expect 2 08-sysv-shm read -k "$dir/in" -w abc
	expect 1 08-sysv-shm read -k "$dir/in"
	expect 2 08-sysv-shm frobnicate
	echo "# $cases cases" >&3
}

@test "hostile: 09-10, the copiers" {
	local lab
	for lab in 09-shm-copy 10-shm-ring-copy 11-robust-copy; do
		expect 2 "$lab"
		expect 2 "$lab" copy "$dir/in"
		expect 2 "$lab" copy -b 0 "$dir/in" "$dir/out"
		expect 2 "$lab" copy -b -5 "$dir/in" "$dir/out"
		expect 2 "$lab" copy -b 999999999999 "$dir/in" "$dir/out"
		expect 2 "$lab" copy -b "$dir/in" "$dir/out"
		expect 2 "$lab" server -t abc "$dir/in"
		expect 2 "$lab" client -n ../x "$dir/out"
		expect 2 "$lab" client -n "$long" "$dir/out"
		expect 1 "$lab" copy "$dir/missing" "$dir/out"
		expect 1 "$lab" copy "$dir" "$dir/out"
		expect 1 "$lab" copy "$dir/in" /dev/full
		expect 1 "$lab" copy "$dir/in" "$dir/no/such/dir/out"
		expect 1 "$lab" copy "$dir/in" "$dir"
		assert_file_not_exists "$dir/out"
	done
	expect 2 10-shm-ring-copy copy -s 0 "$dir/in" "$dir/out"
	expect 2 10-shm-ring-copy copy -s 99999999 "$dir/in" "$dir/out"
	expect 2 11-robust-copy copy -s 0 "$dir/in" "$dir/out"
	expect 2 09-shm-copy copy -s 4 "$dir/in" "$dir/out"
	echo "# $cases cases" >&3
}

@test "hostile: 12-14 and the benchmark, the robust lock, the atomic counter" {
	expect 2 12-copy-bench
	expect 2 12-copy-bench bogus "$dir/in" "$dir/out"
	expect 2 12-copy-bench rw -b 0 "$dir/in" "$dir/out"
	expect 2 12-copy-bench rw -b 999999999999 "$dir/in" "$dir/out"
	expect 2 12-copy-bench rw "$dir/in"
	expect 2 12-copy-bench --methods "$dir/in"
	expect 1 12-copy-bench rw "$dir/missing" "$dir/out"
	expect 1 12-copy-bench pipe "$dir/in" "$dir/no/such/dir/out"
	expect 1 12-copy-bench rw "$dir/in" "$dir/in"
	expect 2 bench -b 0 "$dir/in"
	expect 2 bench -s -1 "$dir/in"
	expect 2 bench -r abc "$dir/in"
	expect 2 bench "$dir/in" bogus
	expect 2 bench "$dir/in" rw=
	expect 2 bench
	expect 1 bench -r 1 "$dir/missing"
	expect 1 bench -r 1 -d "$dir/no/such/dir" "$dir/in" rw
	expect 2 13-robust-lock -t 0
	expect 2 13-robust-lock -t abc
	expect 2 13-robust-lock sem mutex extra
	expect 2 13-robust-lock --bogus
	expect 2 14-atomic-counter --compare -v 5
	expect 2 14-atomic-counter --compare 0
	expect 2 14-atomic-counter -y
	echo "# $cases cases" >&3
}

@test "hostile: 15-17, memory order, the lock-free ring, sealed memfds" {
	expect 2 15-memory-order
	expect 2 15-memory-order 0
	expect 2 15-memory-order -5
	expect 2 15-memory-order 99999999999999999999
	expect 2 15-memory-order --bogus 5
	expect 2 15-memory-order --litmus 0
	expect 2 15-memory-order --litmus abc
	expect 2 15-memory-order --litmus 5 6
	expect 2 16-lockfree-ring
	expect 2 16-lockfree-ring frobnicate
	expect 2 16-lockfree-ring copy "$dir/in"
	expect 2 16-lockfree-ring copy -b 0 "$dir/in" "$dir/out"
	expect 2 16-lockfree-ring copy -b 999999999999 "$dir/in" "$dir/out"
	expect 2 16-lockfree-ring copy -s 0 "$dir/in" "$dir/out"
	expect 2 16-lockfree-ring copy -s 99999999 "$dir/in" "$dir/out"
	expect 2 16-lockfree-ring copy -t abc "$dir/in" "$dir/out"
	expect 2 16-lockfree-ring copy --spin -1 "$dir/in" "$dir/out"
	expect 2 16-lockfree-ring client -n ../x "$dir/out"
	expect 2 16-lockfree-ring client -n "$long" "$dir/out"
	expect 2 16-lockfree-ring pingpong -c 0
	expect 2 16-lockfree-ring pingpong -c abc
	expect 1 16-lockfree-ring copy "$dir/missing" "$dir/out"
	expect 1 16-lockfree-ring copy "$dir" "$dir/out"
	expect 1 16-lockfree-ring copy "$dir/in" /dev/full
	expect 1 16-lockfree-ring copy "$dir/in" "$dir/no/such/dir/out"
	expect 1 16-lockfree-ring client -t 1 -n nobody "$dir/out"
	assert_file_not_exists "$dir/out"
	expect 2 17-memfd-seal
	expect 2 17-memfd-seal frobnicate
	expect 2 17-memfd-seal serve
	expect 2 17-memfd-seal serve -c 0 "$dir/in"
	expect 2 17-memfd-seal serve -s bogus "$dir/in"
	expect 2 17-memfd-seal serve -t abc "$dir/in"
	expect 2 17-memfd-seal serve -n ../x "$dir/in"
	expect 2 17-memfd-seal get -n "$long" "$dir/out"
	expect 2 17-memfd-seal get
	expect 1 17-memfd-seal serve "$dir/missing"
	expect 1 17-memfd-seal serve "$dir"
	expect 1 17-memfd-seal get -t 1 -n nobody "$dir/out"
	expect 1 17-memfd-seal attack -t 1 -n nobody
	assert_file_not_exists "$dir/out"
	echo "# $cases cases" >&3
}
