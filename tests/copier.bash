# What the tests of the shared-memory copiers (09, 10) share. The test file
# sets PROG (the program under test) and LAB (its name, as in its messages).
# shellcheck shell=bash disable=SC2034 # pid, status, output...: set for the test

# The test tool that tampers with a running copy's header (tests/corrupt-header.c).
build_corrupt_header() {
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic \
		-I"$BATS_TEST_DIRNAME/../common" -o "$BATS_FILE_TMPDIR/corrupt-header" \
		"$BATS_TEST_DIRNAME/corrupt-header.c"
}
corrupt_header() { "$BATS_FILE_TMPDIR/corrupt-header" "$@"; }

copier_setup() {
	shmlab_setup
	cd "$BATS_TEST_TMPDIR" || return 1
}

# The full POSIX name the programs make of NAME.
full_name() { printf '/%s.%s' "$SHMLAB_IPC_PREFIX" "$1"; }

# Wait (up to 10 s) until some side has created the object NAME.
wait_for_object() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/dev/shm/${SHMLAB_IPC_PREFIX}.$1" ] && return 0
		sleep 0.1
	done
	fail "the object $1 never appeared"
}

# start TAG command...: run it in the background, stdout to TAG.out, stderr
# to TAG.err; its pid in $pid. Descriptors 3 (bats' own) and 8 (a held FIFO,
# see hold_fifo) are not passed on.
start() {
	local tag=$1
	shift
	"$@" >"$BATS_TEST_TMPDIR/$tag.out" 2>"$BATS_TEST_TMPDIR/$tag.err" 3>&- 8>&- &
	pid=$!
}

# finish TAG PID [SECONDS]: wait for it to end (failing the test if it still
# runs after SECONDS, default 20); then $status is its exit status, $output its
# stderr, and $elapsed_ms the time since mark_time.
finish() {
	local tag=$1 p=$2 limit=${3:-20} i
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		kill -9 "$p"
		wait "$p" || true
		fail "$tag was still running after $limit s: $(cat "$BATS_TEST_TMPDIR/$tag.err")"
	fi
	elapsed_ms=$(($(date +%s%3N) - ${t0:-0}))
	status=0
	wait "$p" || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/$tag.err")
}
mark_time() { t0=$(date +%s%3N); }

# hold_fifo PATH: make a FIFO and hold it open (read and write) on fd 8, so
# that a program reading it waits for data, and one writing it fills it and
# blocks. Data goes in with >&8; `exec 8>&-` lets a reader see end of file.
hold_fifo() {
	mkfifo "$1"
	exec 8<>"$1"
}

# The summary lines of a successful copy of BYTES in CHUNKS, sorted.
summary() {
	local s=s
	[ "$2" -ne 1 ] || s=
	printf '%s client: received %s bytes in %s chunk%s\n%s server: sent %s bytes in %s chunk%s' \
		"$LAB" "$1" "$2" "$s" "$LAB" "$1" "$2" "$s"
}

# Run a command as an unprivileged user if we are root (to whom every file is
# readable and every directory writable); as ourselves otherwise.
unprivileged() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
