#!/usr/bin/env bats
# 17-memfd-seal: nameless memory (memfd_create) passed between two processes
# started separately over a Unix socket in a 0700 directory; sealed, so that
# truncating or writing it is refused; the sender's uid checked; nothing left
# behind, in /dev/shm or in the socket's directory, on any way out.
#
# The other-user cases need root, to make a throwaway user (removed again in
# teardown_file); without root they skip and say so.
# shellcheck disable=SC2030,SC2031,SC2034,SC2154 # bats and copier.bash set status, output, pid

load helper
load copier
bats_require_minimum_version 1.5.0

PROG="$BIN/17-memfd-seal"

# The fake peers of tests/memfd-peer.c: a server that sends N descriptors, and
# a client that fills a server's queue.
setup_file() {
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic \
		-o "$BATS_FILE_TMPDIR/memfd-peer" "$BATS_TEST_DIRNAME/memfd-peer.c"
	make_other_user shmlab17t
}
teardown_file() { remove_other_user; }
PEER="$BATS_FILE_TMPDIR/memfd-peer"

setup() {
	copier_setup
	unset XDG_RUNTIME_DIR # the socket goes under TMPDIR, this test's own directory
	DIR="$TMPDIR/$SHMLAB_IPC_PREFIX.memfd"
	SOCK="$DIR/socket"
}
teardown() {
	# a stopped process keeps SIGTERM pending and stop_bg's wait would never end
	[ -z "${spid:-}" ] || { kill -CONT "$spid" 2>/dev/null; stop_bg "$spid"; }
	[ -z "${gpid:-}" ] || stop_bg "$gpid"
	[ -z "${fpid:-}" ] || stop_bg "$fpid"
	[ -z "${share:-}" ] || rm -rf "$share"
	local left
	left=$(find "$TMPDIR" -maxdepth 1 -name "$SHMLAB_IPC_PREFIX.*" -printf '%f ')
	[ -z "$left" ] || { fail "socket directory left: $left"; return 1; }
	shmlab_teardown
}

# serve ARG...: start `$PROG serve ARG...` in the background (pid in spid,
# stdout in serve.out) and wait until it listens.
serve() {
	start serve "$PROG" serve "$@"
	spid=$pid
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && grep -q '^serve: waiting at' serve.out && return 0
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	fail "serve never listened: $(cat serve.out serve.err)"
}

# served: the background server has ended with exit 0.
served() {
	finish serve "$spid"
	[ "$status" -eq 0 ] || fail "serve failed (exit $status): $output"
	spid=""
}

@test "17: the descriptor passes between two processes started separately; contents byte-exact" {
	for size in 0 1 4095 4096 4097 1000000; do
		head -c "$size" /dev/urandom >in
		serve in
		run --separate-stderr -0 "$PROG" get out
		cmp in out
		assert_line --index 0 --regexp "^get: the server is pid $spid, uid $(id -u): ours$"
		assert_line --index 1 --regexp "^get: received descriptor [0-9]+: /memfd:$SHMLAB_IPC_PREFIX\\.memfd \\(deleted\\), $size bytes$"
		assert_line --index 2 "get: F_GET_SEALS: shrink grow write seal: its size and contents are fixed"
		assert_line --index 3 "get: wrote $size bytes to out"
		served
		run cat serve.out
		assert_line --index 0 "serve: memfd $SHMLAB_IPC_PREFIX.memfd: $size bytes from in, sealed: shrink grow write seal"
		assert_line --index 1 "serve: waiting at $SOCK for 1 receiver (60 s each)"
		assert_line --index 2 --regexp "^serve: sent the descriptor to pid [0-9]+ \\(uid $(id -u)\\)$"
		rm out
	done
}

@test "17: binary data, every byte value, to a file and to stdout" {
	for i in $(seq 0 255); do printf '%b' "\\0$(printf '%03o' "$i")"; done >in
	serve -c 2 in
	run -0 "$PROG" get out
	cmp in out
	run -0 bash -c "'$PROG' get - 2>/dev/null | tail -c 256 | cmp - in"
	served
}

@test "17: either order: a receiver started first waits for its server" {
	head -c 70000 /dev/urandom >in
	start get "$PROG" get out
	gpid=$pid
	asleep "$gpid"
	run -0 "$PROG" serve in
	assert_line --index 2 "serve: sent the descriptor to pid $gpid (uid $(id -u))"
	finish get "$gpid"
	gpid=""
	assert_equal "$status" 0
	cmp in out
}

@test "17: /dev/shm gains no entry; the server holds the memory only as a descriptor" {
	head -c 5000 /dev/urandom >in
	serve in
	assert_equal "$(find /dev/shm -maxdepth 1 -name "*$SHMLAB_IPC_PREFIX*")" ""
	local fd found=
	for fd in "/proc/$spid/fd/"*; do
		[ "$(readlink "$fd")" != "/memfd:$SHMLAB_IPC_PREFIX.memfd (deleted)" ] || found=$fd
	done
	[ -n "$found" ] || fail "no memfd among the server's descriptors: $(ls -l "/proc/$spid/fd/")"
	assert_equal "$(stat -L -c %s "$found")" 5000
	assert_equal "$(stat -c '%a %U' "$DIR")" "700 $(id -un)"
	run -0 "$PROG" get out
	served
	cmp in out
	assert_equal "$(find /dev/shm -maxdepth 1 -name "*$SHMLAB_IPC_PREFIX*")" ""
	assert_file_not_exists "$DIR"
}

@test "17: attack: truncating, growing and writing the sealed object are refused; its contents stay" {
	head -c 10000 /dev/urandom >in
	serve -c 2 in
	run -0 "$PROG" attack
	assert_line "attack: F_GET_SEALS: shrink grow write seal"
	assert_line "attack: write 1 byte at offset 0: refused: the object is sealed (EPERM)"
	assert_line "attack: mmap PROT_READ|PROT_WRITE, MAP_SHARED: refused: the object is sealed (EPERM)"
	assert_line "attack: ftruncate to grow it by 4096 bytes: refused: the object is sealed (EPERM)"
	assert_line "attack: ftruncate to 0 bytes, under its readers' feet: refused: the object is sealed (EPERM)"
	assert_line "result: 4 of 4 attacks refused"
	run -0 "$PROG" get out
	cmp in out
	served
}

@test "17: future-write seals writing as write does; unsealed, every attack works and get refuses" {
	head -c 10000 /dev/urandom >in
	serve -c 1 -s shrink,grow,future-write in
	run -0 "$PROG" attack
	assert_line "attack: F_GET_SEALS: shrink grow future-write"
	assert_line "result: 4 of 4 attacks refused"
	served
	serve -c 2 -s none in
	run -0 "$PROG" attack
	assert_line "attack: F_GET_SEALS: none"
	assert_line "attack: ftruncate to 0 bytes, under its readers' feet: it worked: the object was not sealed against it"
	assert_line "result: 0 of 4 attacks refused"
	run -1 "$PROG" get out
	assert_output --partial "17-memfd-seal: refused: F_GET_SEALS says none: without shrink, grow and write"
	served
	assert_file_not_exists out
	serve -s shrink,grow in
	run -1 "$PROG" get out
	assert_output --partial "refused: F_GET_SEALS says shrink grow: without shrink, grow and write"
	served
	assert_file_not_exists out
}

# A second user and a directory both can use, with an input both can read.
need_other_share() {
	need_other
	share=$(mktemp -d /tmp/shmlab-17.XXXXXX)
	chmod 777 "$share" # both users' socket directories go here
	head -c 3000 /dev/urandom >"$share/in"
	chmod 644 "$share/in"
}

@test "17: a sender of another uid is refused, naming its uid; and it sends nothing to us" {
	need_other_share
	start serve as_other "$OBIN/17-memfd-seal" serve -t 5 "$share/in"
	spid=$pid
	for ((i = 0; i < 100; i++)); do [ -S "$share/$SHMLAB_IPC_PREFIX.memfd/socket" ] && break; sleep 0.1; done
	run -1 env TMPDIR="$share" "$PROG" get out
	assert_output --regexp "^17-memfd-seal: refused: the server \\(pid [0-9]+\\) is uid $OTHER_UID, not us \\(uid 0\\): nothing taken from it$"
	assert_file_not_exists out
	for ((i = 0; i < 100; i++)); do grep -q refused serve.out && break; sleep 0.1; done
	run cat serve.out
	assert_line --regexp "^serve: refused pid [0-9]+: it is uid 0, not ours: sent nothing$"
	refute_line --partial "sent the descriptor"
	pkill -TERM -u "$OTHER_UID" -f 17-memfd-seal # as_other runs it in a subshell
}

@test "17: a socket directory of another user, or one open to others, is refused" {
	need_other_share
	as_other mkdir -m 700 "$share/$SHMLAB_IPC_PREFIX.memfd"
	run -1 env TMPDIR="$share" "$PROG" serve -t 1 "$share/in"
	assert_output --partial "17-memfd-seal: $share/$SHMLAB_IPC_PREFIX.memfd belongs to uid $OTHER_UID ($OTHER), not to you"
	mkdir -m 755 "$DIR"
	run -1 "$PROG" serve -t 1 "$share/in"
	assert_output --partial "$DIR is open to others (mode 0755), so not to be trusted"
	rmdir "$DIR"
}

@test "17: SIGINT, SIGTERM, SIGHUP stop a waiting server; the socket and its directory go" {
	echo data >in
	for sig in INT TERM HUP; do
		interrupt_midrun "$sig" lines:2 "$PROG" serve in
		assert_file_not_exists "$DIR"
	done
	# a background job ignores SIGINT until the lab catches it: give valgrind time to start it
	local delay=0.3
	[ "$SLOW" -eq 1 ] || delay=3
	interrupt_midrun INT "$delay" "$PROG" get -t 60 got # not "out": interrupt_midrun's log
	assert_file_not_exists got
}

@test "17: kill -9 leaves only the socket: a receiver says so, the next server replaces it" {
	echo data >in
	serve in
	kill -9 "$spid"
	wait "$spid" || true
	spid=""
	[ -S "$SOCK" ] || fail "no socket left at $SOCK"
	assert_equal "$(find /dev/shm -maxdepth 1 -name "*$SHMLAB_IPC_PREFIX*")" ""
	run -1 "$PROG" get -t 1 out
	assert_output "17-memfd-seal: $SOCK is there but no server listens (one was killed?): a new serve replaces it"
	serve in
	assert_equal "$(sed -n 2p serve.out)" "serve: removed a stale socket: its server was killed before it could remove it"
	run -0 "$PROG" get out
	served
	cmp in out
}

@test "17: a server killed before it sent the descriptor: the receiver says so, exit 1" {
	local i
	echo data >in
	serve in
	kill -STOP "$spid" # its socket still takes connections, into the backlog (teardown continues it)
	start get "$PROG" get -t 30 got
	gpid=$pid
	for ((i = 0; i < 100; i++)); do # connected, waiting in recvmsg
		[[ $(cat "/proc/$gpid/wchan" 2>/dev/null) != unix_stream* ]] || break
		sleep 0.1
	done
	[[ $(cat "/proc/$gpid/wchan") == unix_stream* ]] || fail "get never waited on the socket"
	kill -9 "$spid"
	wait "$spid" || true
	spid=""
	finish get "$gpid" 10
	gpid=""
	assert_equal "$status" 1
	assert_output "17-memfd-seal: the server went away before it sent a descriptor (was it killed?)"
	assert_file_not_exists got
	rm -r "$DIR" # what kill -9 left: the test before this one shows the next server clearing it
}

# fill_queue: a client (pid in fpid) fills the stopped server's queue of
# connections not yet accepted, so that a connect() then waits for room.
fill_queue() {
	local i
	start fill "$PEER" fill "$SOCK"
	fpid=$pid
	for ((i = 0; i < 100; i++)); do grep -q '^queue full' fill.out && break; sleep 0.1; done
	grep -q '^queue full' fill.out || fail "the queue never filled: $(cat fill.out fill.err)"
}

@test "17: a server that takes no connection (stopped, its queue full): get gives up after -t, exit 1" {
	echo data >in
	serve in
	kill -STOP "$spid" # Ctrl-Z; teardown continues it, whatever happens here
	fill_queue
	# a connect() that waits for room would wait for ever: timeout ends it, as 124
	run -1 timeout 60 "$PROG" get -t 2 out
	assert_output "17-memfd-seal: the server at $SOCK took no connection within 2 s: its queue is full (is it stopped?)"
	assert_file_not_exists out
	kill -CONT "$spid" # it takes the queued connections, sends to the first and ends
	served
	stop_bg "$fpid"
	fpid=""
}

@test "17: get stopped and continued (Ctrl-Z, fg) while it waits, in connect() or in recvmsg(), waits on" {
	local i where
	echo data >in
	for where in connect recvmsg; do
		serve -c 20 in
		kill -STOP "$spid" # connections queue up; teardown continues it
		[ "$where" = recvmsg ] || fill_queue # and then connect() waits for room
		start get "$PROG" get -t 60 got
		gpid=$pid
		asleep "$gpid" # in connect(), or in recvmsg(): nothing else of get sleeps here
		kill -STOP "$gpid"
		for ((i = 0; i < 100; i++)); do [ "$(awk '{ print $3 }' "/proc/$gpid/stat")" != T ] || break; sleep 0.1; done
		kill -CONT "$gpid" # a socket call with a timeout returns EINTR now (signal(7))
		kill -CONT "$spid"
		finish get "$gpid"
		gpid=""
		[ "$status" -eq 0 ] || fail "$where: get failed (exit $status): $output"
		cmp in got
		rm got
		stop_bg "$spid" # it waits for 19 more receivers
		spid=""
		[ -z "${fpid:-}" ] || { stop_bg "$fpid"; fpid=""; }
	done
}

@test "17: a server that sends no descriptor, or several, is refused, saying how many" {
	local n says
	for n in 2 4 5 0 1; do
		case $n in
		0) says="refused: the server sent no descriptor" ;;
		1) says="refused: descriptor [0-9]+ is not a memfd \\(F_GET_SEALS: EINVAL\\)" ;;
		5) says="refused: the server sent more than 4 descriptors, not one" ;;
		*) says="refused: the server sent $n descriptors, not one" ;;
		esac
		mkdir -m 700 "$DIR"
		start fake "$PEER" serve "$n" "$SOCK"
		fpid=$pid
		run --separate-stderr -1 "$PROG" get -t 10 out
		assert_line --index 0 --regexp "^get: the server is pid $fpid, uid $(id -u): ours$"
		output=$stderr assert_output --regexp "^17-memfd-seal: $says$"
		assert_file_not_exists out
		finish fake "$fpid"
		fpid=""
		assert_equal "$status" 0
		rmdir "$DIR"
	done
}

@test "17: a second server at the same name is refused while the first serves" {
	echo data >in
	serve in
	run -1 "$PROG" serve -t 1 in
	assert_output --partial "17-memfd-seal: another server is serving at $SOCK"
	run -0 "$PROG" get out
	served
	cmp in out
}

@test "17: -n names the socket; XDG_RUNTIME_DIR is used when set" {
	run -0 "$PROG" where -n other
	assert_output "$TMPDIR/$SHMLAB_IPC_PREFIX.other/socket"
	mkdir -m 700 run
	XDG_RUNTIME_DIR="$PWD/run" run -0 "$PROG" where
	assert_output "$PWD/run/$SHMLAB_IPC_PREFIX.memfd/socket"
	echo data >in
	start serve env XDG_RUNTIME_DIR="$PWD/run" "$PROG" serve -n other in
	spid=$pid
	XDG_RUNTIME_DIR="$PWD/run" run -0 "$PROG" get -n other out
	served
	cmp in out
	assert_equal "$(ls -A run)" ""
}

@test "17: no peer within -t: each side gives up, exit 1, nothing left" {
	echo data >in
	run -1 "$PROG" serve -t 1 in
	assert_output --partial "17-memfd-seal: no receiver came within 1 s"
	run -1 "$PROG" get -t 1 out
	assert_output "17-memfd-seal: no server came within 1 s (start one with: 17-memfd-seal serve FILE)"
	run -1 "$PROG" attack -t 1
	assert_output --partial "no server came within 1 s"
	assert_file_not_exists out
}

@test "17: runtime errors: bad FILE, a socket path too long, no memfd_create" {
	run -1 "$PROG" serve nosuch
	assert_output "17-memfd-seal: open nosuch: No such file or directory"
	run -1 "$PROG" serve /dev/null
	assert_output "17-memfd-seal: /dev/null is not a regular file: serve needs to know the size first"
	long="$TMPDIR/$(printf 'd%.0s' $(seq 100))"
	mkdir "$long"
	TMPDIR="$long" run -1 "$PROG" serve nosuch
	assert_output --regexp "the socket path .* has [0-9]+ characters, a Unix socket takes 107: set TMPDIR"
	rmdir "$long"
	skip_under_valgrind "strace and valgrind do not nest well"
	need_strace # it fakes a kernel without memfd_create
	echo data >in
	# LeakSanitizer cannot run under ptrace
	ASAN_OPTIONS=detect_leaks=0 run -1 strace -qq -f -o /dev/null -e trace=memfd_create \
		-e inject=memfd_create:error=ENOSYS "$PROG" serve in
	assert_output "17-memfd-seal: memfd_create $SHMLAB_IPC_PREFIX.memfd with MFD_ALLOW_SEALING (Linux 3.17 and later have it): Function not implemented"
}

@test "17: serve FIFO, with no writer: refused at once, exit 1, nothing left" {
	mkfifo fifo
	# an open() that waits for a writer would wait for ever: timeout ends it, as 124
	run -1 timeout 60 "$PROG" serve -t 2 fifo
	assert_output "17-memfd-seal: fifo is not a regular file: serve needs to know the size first"
	assert_file_not_exists "$DIR"
}

@test "17: usage errors" {
	run -2 "$PROG"
	assert_usage_error "missing subcommand (want serve, get, attack or where)"
	run -2 "$PROG" send
	assert_usage_error "unknown subcommand 'send'"
	run -2 "$PROG" serve
	assert_usage_error "serve: missing FILE"
	run -2 "$PROG" get
	assert_usage_error "get: missing OUTPUT"
	run -2 "$PROG" get a b
	assert_usage_error "get: unexpected argument 'b'"
	run -2 "$PROG" attack x
	assert_usage_error "attack: unexpected argument 'x'"
	run -2 "$PROG" serve -t 0 in
	assert_usage_error "SECONDS '0' is out of range"
	run -2 "$PROG" serve -c 0 in
	assert_usage_error "COUNT '0' is out of range"
	run -2 "$PROG" serve -c 2x in
	assert_usage_error "COUNT '2x' is not a number"
	run -2 "$PROG" serve -s shrink,bogus in
	assert_usage_error "SEALS 'shrink,bogus': 'bogus' is not a seal"
	run -2 "$PROG" serve -s "" in
	assert_usage_error "SEALS '': '' is not a seal"
	run -2 "$PROG" get -c 2 out
	assert_usage_error "get: unknown option '-c'"
	run -2 "$PROG" get -t
	assert_usage_error "SECONDS is empty"
	run -2 "$PROG" serve -n ../x in
	assert_usage_error "name '../x' is invalid"
	run -0 "$PROG" -h
	assert_output --partial "usage: 17-memfd-seal serve [-n NAME]"
}
