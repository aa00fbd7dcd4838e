#!/usr/bin/env bats
# 07-posix-shm: named objects that unrelated processes open; a counter server.

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
load helper
bats_require_minimum_version 1.5.0

setup() {
	shmlab_setup
	cd "$BATS_TEST_TMPDIR" || return 1
	OBJ="/dev/shm/$SHMLAB_IPC_PREFIX"
}

# Wait at most SECONDS for background process PID to end; its exit status
# becomes ours. One still running is killed and fails the test.
wait_exit() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		fail "process $pid still running after $secs s"
	fi
	wait "$pid"
}

# Wait at most 10 s until FILE has a line matching REGEX.
wait_line() {
	local i
	for i in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "no line '$2' in $1 after 10 s: $(cat "$1")"
}

@test "07: create makes a 0600 object under the full name, reserved" {
	run -0 "$BIN/07-posix-shm" create demo 4096
	assert_output "created /$SHMLAB_IPC_PREFIX.demo: 4096 bytes, reserved with posix_fallocate, mode 0600"
	assert_file_exists "$OBJ.demo"
	assert_file_permission 600 "$OBJ.demo"
	assert_equal "$(stat -c %s "$OBJ.demo")" 4096
	run -0 "$BIN/07-posix-shm" unlink demo
	assert_output "removed /$SHMLAB_IPC_PREFIX.demo"
	assert_file_not_exists "$OBJ.demo"
}

@test "07: info shows the full name, size, space allocated, mode and owner" {
	run -0 "$BIN/07-posix-shm" create demo 10000
	run -0 "$BIN/07-posix-shm" info demo
	assert_output "name:   demo
object: /$SHMLAB_IPC_PREFIX.demo
size:   10000 bytes (12288 allocated)
mode:   0600
owner:  $(id -un) (uid $(id -u)), group $(id -gn) (gid $(id -g))"
	# ftruncate alone reserves nothing: compare an object sized that way
	truncate -s 10000 "$OBJ.sparse"
	run -0 "$BIN/07-posix-shm" info sparse
	assert_line --index 2 "size:   10000 bytes (0 allocated)"
	"$BIN/07-posix-shm" unlink sparse
	"$BIN/07-posix-shm" unlink demo
}

@test "07: write then read: the pattern arrives whole" {
	"$BIN/07-posix-shm" create demo 100000
	run -0 "$BIN/07-posix-shm" write demo
	assert_output "wrote the pattern into all 100000 bytes of /$SHMLAB_IPC_PREFIX.demo"
	run -0 "$BIN/07-posix-shm" read demo
	assert_output "all 100000 bytes of /$SHMLAB_IPC_PREFIX.demo match the pattern"
	"$BIN/07-posix-shm" unlink demo
}

@test "07: read reports the first mismatch exactly" {
	"$BIN/07-posix-shm" create demo 4096
	run -1 "$BIN/07-posix-shm" read demo
	assert_output "07-posix-shm: /$SHMLAB_IPC_PREFIX.demo: first mismatch at offset 0: expected 0x01, found 0x00"
	"$BIN/07-posix-shm" write demo
	printf '\377' | dd of="$OBJ.demo" bs=1 seek=1000 conv=notrunc status=none
	run -1 "$BIN/07-posix-shm" read demo
	# 1000 % 251 + 1 = 248
	assert_output "07-posix-shm: /$SHMLAB_IPC_PREFIX.demo: first mismatch at offset 1000: expected 0xf8, found 0xff"
	"$BIN/07-posix-shm" unlink demo
}

@test "07: create on an existing name says so and leaves it alone" {
	"$BIN/07-posix-shm" create demo 4096
	"$BIN/07-posix-shm" write demo
	run -1 "$BIN/07-posix-shm" create demo 8192
	assert_output "07-posix-shm: shared memory object demo already exists (/$SHMLAB_IPC_PREFIX.demo): remove it with: 07-posix-shm unlink demo"
	run -0 "$BIN/07-posix-shm" read demo
	assert_output --partial "all 4096 bytes"
	"$BIN/07-posix-shm" unlink demo
}

@test "07: a missing object: 'no such shared memory object' (exit 1)" {
	for cmd in write read info unlink; do
		run -1 "$BIN/07-posix-shm" "$cmd" demo
		assert_output "07-posix-shm: no such shared memory object: demo (create it first)"
	done
}

@test "07: an empty object has nothing to map" {
	(umask 077 && touch "$OBJ.empty") # ours and 0600, as the lab would make it
	run -1 "$BIN/07-posix-shm" read empty
	assert_output "07-posix-shm: /$SHMLAB_IPC_PREFIX.empty is empty (0 bytes): nothing to map"
	"$BIN/07-posix-shm" unlink empty
}

@test "07: an object of ours that is open to others is not trusted" {
	"$BIN/07-posix-shm" create open 4096
	chmod 644 "$OBJ.open"
	run -1 "$BIN/07-posix-shm" read open
	assert_output "07-posix-shm: /$SHMLAB_IPC_PREFIX.open is open to others (mode 0644), so not to be trusted: it is yours; remove it and start again"
	run -0 "$BIN/07-posix-shm" info open # info only looks at it
	"$BIN/07-posix-shm" unlink open
}

@test "07: a create that fails half-way removes what it made" {
	# a file-size limit makes ftruncate fail (EFBIG) after shm_open created the name
	run -1 bash -c "ulimit -f 1 && exec '$BIN/07-posix-shm' create big 1000000"
	assert_output "07-posix-shm: ftruncate to 1000000 bytes: File too large"
	assert_file_not_exists "$OBJ.big"
}

@test "07: a full /dev/shm fails in create (ENOSPC), not later with SIGBUS" {
	local why
	why=$(unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs /dev/shm' 2>&1) ||
		skip "needs a private mount namespace with a small tmpfs: unshare -m said: ${why:-nothing (exit status $?)}"
	run -1 unshare -m bash -c "mount -t tmpfs -o size=64k tmpfs /dev/shm &&
		'$BIN/07-posix-shm' create big 1000000; status=\$?; ls /dev/shm; exit \$status"
	assert_output "07-posix-shm: posix_fallocate 1000000 bytes for /$SHMLAB_IPC_PREFIX.big: No space left on device"
}

@test "07: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/07-posix-shm"
	assert_usage_error "missing subcommand"
	run -2 "$BIN/07-posix-shm" open demo
	assert_usage_error "unknown subcommand 'open'"
	run -2 "$BIN/07-posix-shm" create
	assert_usage_error "create: missing NAME"
	run -2 "$BIN/07-posix-shm" create demo
	assert_usage_error "create: missing SIZE"
	run -2 "$BIN/07-posix-shm" create demo 0
	assert_usage_error "SIZE '0' is out of range"
	run -2 "$BIN/07-posix-shm" create demo 4k
	assert_usage_error "SIZE '4k' is not a number"
	run -2 "$BIN/07-posix-shm" create demo 2000000000
	assert_usage_error "SIZE '2000000000' is out of range"
	run -2 "$BIN/07-posix-shm" create a/b 4096
	assert_usage_error "name 'a/b' is invalid"
	run -2 "$BIN/07-posix-shm" read .hidden
	assert_usage_error "name '.hidden' is invalid"
	run -2 "$BIN/07-posix-shm" read demo extra
	assert_usage_error "read: unexpected argument 'extra'"
	run -2 "$BIN/07-posix-shm" info -t 3 demo
	assert_usage_error "info: unknown option '-t'"
	run -2 "$BIN/07-posix-shm" client demo
	assert_usage_error "client: missing NLOOP"
	run -2 "$BIN/07-posix-shm" client demo -5
	assert_usage_error "client: unknown option '-5'"
	run -2 "$BIN/07-posix-shm" client -t 0 demo 5
	assert_usage_error "SECONDS '0' is out of range"
	run -2 "$BIN/07-posix-shm" client -c 2 demo 5
	assert_usage_error "client: unknown option '-c'"
	run -2 "$BIN/07-posix-shm" server -c x demo
	assert_usage_error "NCLIENTS 'x' is not a number"
	run -2 "$BIN/07-posix-shm" server demo 5
	assert_usage_error "server: unexpected argument '5'"
	run -2 env SHMLAB_IPC_PREFIX=bad/prefix "$BIN/07-posix-shm" info demo
	assert_usage_error "SHMLAB_IPC_PREFIX 'bad/prefix' is invalid"
}

@test "07: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/07-posix-shm" -h
	assert_line --index 0 "usage: 07-posix-shm create NAME SIZE | write NAME | read NAME | info NAME | unlink NAME |"
	assert_line --index 1 "       server [-c NCLIENTS] [-t SECONDS] NAME | client [-t SECONDS] NAME NLOOP"
	assert_equal "$stderr" ""
}

@test "07: four clients of NLOOP end at exactly 4*NLOOP; the server removes the object" {
	n=$((200000 / SLOW))
	"$BIN/07-posix-shm" server -c 4 counter >server.out 2>&1 &
	spid=$!
	pids=()
	for i in 1 2 3 4; do
		"$BIN/07-posix-shm" client counter "$n" >"client$i.out" 2>&1 &
		pids+=($!)
	done
	for i in 1 2 3 4; do
		wait_exit "${pids[i - 1]}" 120 || fail "client $i failed: $(cat "client$i.out")"
		assert_equal "$(grep -c "^client [0-9]*: $n increments done, counter now [0-9]*$" "client$i.out")" 1
	done
	wait_exit "$spid" 30 || fail "server failed: $(cat server.out)"
	run cat server.out
	assert_line --index 0 "server: /$SHMLAB_IPC_PREFIX.counter is ready; start clients with: 07-posix-shm client counter NLOOP"
	assert_line "server: clients finished: 4, counter=$((4 * n)) expected=$((4 * n))"
	assert_line --index -1 "result: counter=$((4 * n)) expected=$((4 * n)) lost=0"
	# the last client to finish saw everyone's increments
	run cat client1.out client2.out client3.out client4.out
	assert_line --regexp "counter now $((4 * n))$"
	assert_file_not_exists "$OBJ.counter"
}

@test "07: clients started before the server wait for it" {
	"$BIN/07-posix-shm" client counter 1000 >client.out 2>&1 &
	cpid=$!
	sleep 0.5
	kill -0 "$cpid" || fail "the client did not wait: $(cat client.out)"
	"$BIN/07-posix-shm" server -c 1 counter >server.out 2>&1 &
	spid=$!
	wait_exit "$cpid" 30
	wait_exit "$spid" 30
	assert_equal "$(tail -n 1 server.out)" "result: counter=1000 expected=1000 lost=0"
}

@test "07: a client with no server gives up after -t seconds" {
	start=$SECONDS
	run -1 "$BIN/07-posix-shm" client -t 1 counter 10
	assert_output "07-posix-shm: no such shared memory object: counter (start the server first; waited 1 s)"
	[ $((SECONDS - start)) -le 5 ] || fail "took $((SECONDS - start)) s"
}

@test "07: a client on an object no server made ready gives up" {
	"$BIN/07-posix-shm" create counter 4096
	run -1 "$BIN/07-posix-shm" client -t 1 counter 10
	assert_output "07-posix-shm: /$SHMLAB_IPC_PREFIX.counter exists but no server made it ready in 1 s"
	"$BIN/07-posix-shm" unlink counter
}

@test "07: a second server for the same name is refused" {
	"$BIN/07-posix-shm" server counter >server.out 2>&1 &
	spid=$!
	wait_line server.out "is ready"
	run -1 "$BIN/07-posix-shm" server counter
	assert_output --partial "shared memory object counter already exists"
	kill "$spid"
	wait "$spid" || true
	assert_file_not_exists "$OBJ.counter"
}

@test "07: a client whose server is gone finishes its count and exits" {
	"$BIN/07-posix-shm" server counter >server.out 2>&1 &
	spid=$!
	wait_line server.out "is ready"
	n=20000000 # long enough to be still counting when the server stops
	[ -z "${SHMLAB_VALGRIND:-}" ] || n=2000000 # valgrind runs it some 10 times slower
	"$BIN/07-posix-shm" client counter "$n" >client.out 2>&1 &
	cpid=$!
	# stop the server once the client has the object mapped (valgrind takes
	# seconds to get that far)
	for _ in $(seq 300); do
		grep -q "$SHMLAB_IPC_PREFIX.counter" "/proc/$cpid/maps" 2>/dev/null && break
		sleep 0.1
	done
	kill -TERM "$spid"
	wait "$spid" || true
	assert_file_not_exists "$OBJ.counter"
	kill -0 "$cpid" || fail "the client finished before the server was stopped"
	wait_exit "$cpid" 300
	assert_equal "$(cat client.out)" "client $cpid: $n increments done, counter now $n"
}

@test "07: SIGINT and SIGTERM: a waiting server or client leaves nothing" {
	interrupt_midrun INT 0.5 "$BIN/07-posix-shm" server counter
	interrupt_midrun TERM 0.5 "$BIN/07-posix-shm" server -c 3 counter
	interrupt_midrun INT 0.5 "$BIN/07-posix-shm" client -t 30 counter 10
	interrupt_midrun TERM 0.5 "$BIN/07-posix-shm" client -t 30 counter 10
}

@test "07: a client killed mid-count does not hang the others" {
	"$BIN/07-posix-shm" server counter >server.out 2>&1 &
	spid=$!
	wait_line server.out "is ready"
	"$BIN/07-posix-shm" client -t 2 counter 20000000 >victim.out 2>&1 &
	vpid=$!
	"$BIN/07-posix-shm" client -t 2 counter 5000000 >other.out 2>&1 &
	opid=$!
	sleep 0.5
	kill -INT "$vpid"
	wait "$vpid" || true
	# the other either finishes or, if the victim died holding the lock, gives up
	wait_exit "$opid" 600 || assert_equal "$(cat other.out)" \
		"07-posix-shm: waited 2 s for the lock: did a process die holding it?"
	kill "$spid" 2>/dev/null || true # it may have ended already: it saw the victim die
	wait "$spid" || true
	assert_file_not_exists "$OBJ.counter"
}

@test "07: a client killed mid-count (SIGKILL or SIGINT): the server says so within seconds, exit 1, nothing left" {
	local sig n=20000000
	[ -z "${SHMLAB_VALGRIND:-}" ] || n=2000000
	for sig in KILL INT; do
		"$BIN/07-posix-shm" server -c 1 -t 5 counter >server.out 2>&1 &
		spid=$!
		wait_line server.out "is ready"
		"$BIN/07-posix-shm" client -t 5 counter "$n" >client.out 2>&1 &
		cpid=$!
		for _ in $(seq 300); do # counting: the object is mapped
			grep -q "$SHMLAB_IPC_PREFIX.counter" "/proc/$cpid/maps" 2>/dev/null && break
			sleep 0.1
		done
		kill -s "$sig" "$cpid"
		wait "$cpid" || true
		local status=0
		wait_exit "$spid" $((20 * SLOW)) || status=$? # the old server waited for ever
		assert_equal "$status" 1
		run cat server.out
		assert_line --index 1 --regexp "^07-posix-shm: server: client $cpid died before it finished: its count is lost$|^07-posix-shm: waited 5 s for the lock: did a process die holding it\?$"
		assert_file_not_exists "$OBJ.counter"
	done
}

@test "07: the object truncated under client and server: both say so and exit 1, nothing left" {
	local status
	"$BIN/07-posix-shm" server counter >server.out 2>&1 &
	spid=$!
	wait_line server.out "is ready"
	"$BIN/07-posix-shm" client counter 1000000000 >client.out 2>&1 &
	cpid=$!
	for _ in $(seq 300); do # counting: it has the object mapped
		grep -q "$SHMLAB_IPC_PREFIX.counter" "/proc/$cpid/maps" 2>/dev/null && break
		sleep 0.1
	done
	truncate -s 0 "$OBJ.counter"
	status=0
	wait_exit "$cpid" 60 || status=$?
	assert_equal "$status" 1
	assert_equal "$(cat client.out)" "07-posix-shm: the shared object was truncated (by another process?)"
	status=0
	wait_exit "$spid" 60 || status=$? # it looks at the semaphore every second
	assert_equal "$status" 1
	assert_equal "$(tail -n 1 server.out)" "07-posix-shm: the shared object was truncated (by another process?)"
	assert_file_not_exists "$OBJ.counter"
}

@test "07: the object truncated under read or write: it says so and exits 1, not SIGBUS" {
	local cmd
	need_delay
	for cmd in write read; do
		"$BIN/07-posix-shm" create demo 65536 >/dev/null
		"$BIN/07-posix-shm" write demo >/dev/null
		# the close right after mmap is held: the object shrinks meanwhile
		start_delayed close 3 "$OBJ.demo" "$BIN/07-posix-shm" "$cmd" demo
		for _ in $(seq 100); do
			grep -q "$SHMLAB_IPC_PREFIX.demo" "/proc/$pid/maps" 2>/dev/null && break
			sleep 0.1
		done
		truncate -s 0 "$OBJ.demo"
		finish_delayed
		assert_equal "$status" 1
		assert_output "07-posix-shm: the shared object was truncated (by another process?)"
		"$BIN/07-posix-shm" unlink demo
	done
}

@test "07: a signal while create or server makes the object leaves nothing" {
	local cmd args
	for cmd in create server; do
		args=(demo)
		[ "$cmd" = server ] || args+=(4096)
		# the open that creates the name is held before it returns
		start_delayed %file 3 "$OBJ.demo" "$BIN/07-posix-shm" "$cmd" "${args[@]}"
		for _ in $(seq 100); do
			[ -e "$OBJ.demo" ] && break
			sleep 0.1
		done
		assert_file_exists "$OBJ.demo"
		kill -INT "$pid"
		finish_delayed
		assert_equal "$status" 130
		assert_file_not_exists "$OBJ.demo"
	done
}
