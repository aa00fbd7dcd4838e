# Shared set-up for every shmlab test file: load the standard bats helper
# libraries, give each test its own IPC prefix and temp dir, and check after
# each test that nothing was left behind.
# shellcheck shell=bash

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

BIN=${SHMLAB_BIN:-bin}
[[ $BIN == /* ]] || BIN="$BATS_TEST_DIRNAME/../$BIN"

# Under the sanitizers and valgrind everything is slower: tests divide their loop
# counts by SLOW.
# shellcheck disable=SC2034 # used by the test files
if [ -n "${SHMLAB_VALGRIND:-}" ]; then
	SLOW=50
	export SHMLAB_SANITIZED=1 # what is too slow under ASan is too slow here
elif [ -n "${SHMLAB_SANITIZED:-}" ]; then
	SLOW=10
else
	SLOW=1
fi
# How many -y steps each process of a counter lab takes: the count at which 02,
# with no lock, loses updates in 8 of 10 overlapping runs, so that a lab with a
# lock is shown to lose none under the same schedule. A yield beside CPU-bound
# programs can cost a time slice (1-2 ms), so a larger count proves no more
# and only takes longer on a busy machine.
# shellcheck disable=SC2034 # used by the test files
YIELD_STEPS=$((20000 / SLOW < 2000 ? 20000 / SLOW : 2000))

shmlab_setup() {
	# A prefix no other test (or student) uses, so a leftover is ours to see.
	# (tests/soak.sh tags its suites' prefixes, to tell their objects from others')
	export SHMLAB_IPC_PREFIX="shmlabtest-${SHMLAB_SOAK_TAG:+$SHMLAB_SOAK_TAG-}$$-${BATS_TEST_NUMBER}-$RANDOM"
	export TMPDIR="$BATS_TEST_TMPDIR"
	# Every process this test starts inherits this mark, orphans included, so
	# that assert_no_process looks at ours alone. A suite run inside a test
	# (tests/soak.sh's) keeps the outer test's mark: its processes are that test's.
	export SHMLAB_TEST_MARK=${SHMLAB_TEST_MARK:-$SHMLAB_IPC_PREFIX}
}

# Nothing under this test's prefix in /dev/shm (shm objects and named
# semaphores alike) and no temp file left by a lab.
assert_nothing_left() {
	local left
	left=$(find /dev/shm -maxdepth 1 -name "*${SHMLAB_IPC_PREFIX}.*" -printf '%f ')
	if [ -n "$left" ]; then
		# report it, then remove it, so one leak fails one test, not the next ones too;
		# bats does not stop a teardown at a failed command: return at once
		find /dev/shm -maxdepth 1 -name "*${SHMLAB_IPC_PREFIX}.*" -delete
		fail "left in /dev/shm: $left"
		return 1
	fi
	left=$(find "$TMPDIR" -maxdepth 1 -name 'shmlab-*' -printf '%f ')
	[ -z "$left" ] || { fail "temp files left: $left"; return 1; }
}

shmlab_teardown() {
	assert_nothing_left
}

setup() { shmlab_setup; }
teardown() { shmlab_teardown; }

# need_strace: for a test that runs a lab under strace. Root with apt gets it
# installed (tests/need.sh, as make check does for its tools); anyone else, or
# a machine where ptrace is not allowed, gets the test skipped, saying why.
need_strace() {
	local why
	why=$("$BATS_TEST_DIRNAME/need.sh" strace strace 2>&1) || skip "$why"
	why=$(strace -o /dev/null -e trace=none true 2>&1) ||
		skip "strace cannot trace here (ptrace not allowed?): $why"
}

# slow_scenario LAB WHAT: WHAT takes many seconds, and every lab of a family
# repeats it. make test runs it for lab LAB only (none: for no lab, when a
# cheaper scenario of make test covers what it counts); SHMLAB_SLOW=1 (make
# check sets it for one pass) runs it for every lab. tests/run lists the others
# as SLOW.
slow_scenario() {
	[ -n "${SHMLAB_SLOW:-}" ] || [[ ${BATS_TEST_FILENAME##*/} == "$1"-* ]] || {
		[ "$1" = none ] && skip "slow: $2; make check (SHMLAB_SLOW=1) runs it for every lab"
		skip "slow: $2; make test runs it for lab $1 only, make check (SHMLAB_SLOW=1) for every lab"
	}
}

# slow_rounds N FULL: how many rounds a loop of random moments runs, N in make
# test and FULL with SHMLAB_SLOW=1 (make check's musl pass); the moments are
# drawn afresh in every run.
slow_rounds() {
	if [ -n "${SHMLAB_SLOW:-}" ]; then echo "$2"; else echo "$1"; fi
}

# Some tests cannot run under valgrind (too slow, or valgrind itself in the way).
skip_under_valgrind() {
	[ -z "${SHMLAB_VALGRIND:-}" ] || skip "under valgrind: $1"
}

# A usage error: exit 2, the message and the usage line on stderr, nothing on stdout.
assert_usage_error() {
	local pattern=$1
	assert_failure 2
	assert_output --partial "$pattern"
	assert_output --partial "usage: "
}

# Start a lab in the background, let it get going, send it a signal, and check
# it died of it (status 128+sig) within a few seconds, leaving nothing behind.
# Usage: interrupt_midrun SIGNAL DELAY command args...
# DELAY is seconds, or lines:N to wait (up to 60 s) until it has printed N lines.
interrupt_midrun() {
	local sig=$1 delay=$2
	shift 2
	: >"$BATS_TEST_TMPDIR/out" # not the last call's lines: the job's own > may come later
	"$@" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	if [[ $delay == lines:* ]]; then
		for _ in $(seq 600); do
			[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -lt "${delay#lines:}" ] || break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	else
		sleep "$delay"
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		local early=0
		wait "$pid" || early=$?
		fail "'$*' ended (exit $early) before it could be interrupted; it printed: $(tail -n 3 "$BATS_TEST_TMPDIR/out")"
	fi
	kill -s "$sig" "$pid"
	local status=0 i
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "'$*' still running 5 s after SIG$sig"; }
	wait "$pid" || status=$?
	[ "$status" -eq $((128 + $(kill -l "$sig"))) ] || fail "'$*' exited $status after SIG$sig: $(cat "$BATS_TEST_TMPDIR/out")"
	assert_no_process "$1" "after SIG$sig" # its children stop too, not run on without a parent
	assert_nothing_left
}

# our_processes PATTERN: the pids of the processes with PATTERN in their
# command line that this test started (their environment has its
# SHMLAB_TEST_MARK). Another suite's, another clone's or another user's
# look-alikes are not ours to judge, or to kill: two suites can run at once
# on one machine (make soak's two users, a student beside CI).
our_processes() {
	local p
	for p in $(pgrep -f -- "$1"); do
		# one that ended since pgrep saw it has no environ left: not a leftover
		{ tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "SHMLAB_TEST_MARK=$SHMLAB_TEST_MARK" &&
			echo "$p"
	done
	return 0 # the last pid not ours is no failure (bats runs tests with set -e)
}

# assert_no_process PATTERN WHEN: within 3 s no process of this test has
# PATTERN in its command line; else kill them and fail, saying WHEN.
assert_no_process() {
	local i left
	for i in $(seq 30); do
		left=$(our_processes "$1")
		[ -n "$left" ] || return 0
		sleep 0.1
	done
	local what # for the failure: each one's pid, parent, state and command line
	what=$(ps -o pid=,ppid=,stat=,args= -p "${left//$'\n'/,}" 2>/dev/null)
	# shellcheck disable=SC2086 # one pid a word
	kill -9 $left 2>/dev/null || true
	fail "a process of '$1' was still running 3 s $2: pid ${left//$'\n'/ }
$what"
}

# The lost=L of a counter lab's result line (its last line).
lost_of() {
	sed -n 's/^result: counter=[0-9-]* expected=[0-9]* lost=\([0-9-]*\)$/\1/p' <<<"$1"
}

# Run a counter lab RUNS times; fail unless every run ends with lost=0.
assert_never_loses() {
	local runs=$1 i out
	shift
	for ((i = 1; i <= runs; i++)); do
		out=$("$@") || fail "run $i of '$*' failed (exit $?)"
		[ "$(lost_of "$out")" = 0 ] ||
			fail "run $i of '$*' lost updates: $(tail -n 1 <<<"$out")"
	done
}

# Run a counter lab until WANT runs have lost updates; fail if MAX runs go by first.
assert_loses_within() {
	local want=$1 max=$2 i out lost hits=0 seen=()
	shift 2
	for ((i = 1; i <= max && hits < want; i++)); do
		out=$("$@") || fail "run $i of '$*' failed (exit $?)"
		lost=$(lost_of "$out")
		[ -n "$lost" ] || fail "run $i of '$*' printed no result line"
		seen+=("$lost")
		[ "$lost" -gt 0 ] && hits=$((hits + 1))
	done
	[ "$hits" -ge "$want" ] ||
		fail "'$*' lost updates in only $hits of $max runs (want $want); lost: ${seen[*]}"
}

# The /dev/shm path of a POSIX object of ours, polled for up to 5 s: semaphores
# are sem.NAME on glibc and plain NAME on musl. Prints nothing if none appears.
wait_for_ipc() {
	local name=$1 i p
	for ((i = 0; i < 50; i++)); do
		for p in "/dev/shm/sem.$SHMLAB_IPC_PREFIX.$name" "/dev/shm/$SHMLAB_IPC_PREFIX.$name"; do
			[ -e "$p" ] && { echo "$p"; return 0; }
		done
		sleep 0.1
	done
}

# The System V message queues there are (their ids), for lab 12's msg copier.
# They have no name, and other programs may make some while a test runs, so a
# leftover of ours is one that was not there before the test (note_queues),
# stays for 3 s, and that no live process has sent to or received from: a
# copier that sent or received and is gone.
msg_queues() {
	awk 'NR > 1 { print $2 }' /proc/sysvipc/msg 2>/dev/null | sort
}

note_queues() { msg_queues >"$BATS_TEST_TMPDIR/queues-before"; }

leaked_queues() {
	local id lspid lrpid i left
	for i in $(seq 30); do
		left=
		for id in $(msg_queues | comm -13 "$BATS_TEST_TMPDIR/queues-before" -); do
			read -r lspid lrpid < <(awk -v id="$id" '$2 == id { print $6, $7 }' /proc/sysvipc/msg)
			[ -n "$lspid" ] || continue # gone meanwhile
			for pid in "$lspid" "$lrpid"; do
				[ "$pid" = 0 ] || ! kill -0 "$pid" 2>/dev/null || continue 2 # in use
			done
			left="$left $id"
		done
		[ -n "$left" ] || return 0
		sleep 0.1
	done
	echo "$left"
}

# For a teardown: no queue left since note_queues (one left is removed, so
# that one leak fails one test).
assert_no_queue_left() {
	local left id
	left=$(leaked_queues)
	[ -n "$left" ] || return 0
	for id in $left; do ipcrm -q "$id" 2>/dev/null; done
	fail "message queues left:$left"
	return 1
}

# Stop a background lab started by a test, whatever the test found.
# SIGCONT first: a SIGTERM stays pending on a stopped process, and the wait
# would never return.
stop_bg() {
	kill -CONT "$1" 2>/dev/null || true
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# A copier with the copiers' interface, PROGRAM SUBCOMMAND [options] INPUT OUTPUT,
# made from a shell snippet that sees $in and $out.
fake_copier() {
	local path="$BATS_TEST_TMPDIR/$1"
	# shellcheck disable=SC2016 # the script's $ are its own
	printf '#!/bin/sh\neval "in=\\${$(($# - 1))} out=\\${$#}"\n%s\n' "$2" >"$path"
	chmod +x "$path"
	echo "$path"
}

# A throwaway second user for the other-uid cases (root only): OTHER and
# OTHER_UID are set, or left empty when it cannot be made (the tests then skip).
# OBIN is where that user runs the programs under test from: $BIN itself when
# the user can reach it, else a copy in a private temp directory, since a clone
# in a 0700 home (root's /root, most students' homes) is reachable by nobody
# else, and the cross-user cases must run there too.
# For setup_file and teardown_file; TAG keeps two files' users apart.
make_other_user() {
	export OTHER="" OTHER_UID="" OBIN=""
	[ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null || return 0
	local name="$1$$"
	useradd --no-create-home --shell /usr/sbin/nologin "$name" 2>/dev/null || return 0
	OTHER=$name OTHER_UID=$(id -u "$name")
	OBIN=$BIN
	if ! as_other test -x "$BIN/01-fork-counter"; then
		OBIN=$(mktemp -d /tmp/shmlab-obin.XXXXXX)
		cp "$BIN"/* "$OBIN"/
		chmod -R go+rX "$OBIN"
	fi
}
remove_other_user() {
	[ -n "${OTHER:-}" ] || return 0
	pkill -KILL -u "$OTHER_UID" 2>/dev/null # userdel refuses a user with processes
	for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -u "$OTHER_UID" >/dev/null || break; sleep 0.1; done
	userdel "$OTHER" 2>/dev/null || true
	[[ $OBIN != /tmp/shmlab-obin.* ]] || rm -rf "$OBIN"
}

# Run a command as the other user, with our prefix (they take our names) and
# $share (or /tmp) as TMPDIR: the test's own TMPDIR is closed to them.
as_other() {
	setpriv --reuid="$OTHER_UID" --regid="$OTHER_UID" --clear-groups \
		env SHMLAB_IPC_PREFIX="$SHMLAB_IPC_PREFIX" TMPDIR="${share:-/tmp}" "$@"
}
# Skip unless there is a second user to play the other side.
need_other() {
	[ -n "${OTHER:-}" ] || skip "needs root to make a second user (useradd, setpriv)"
	skip_under_valgrind "valgrind run as another user cannot write into the test's TMPDIR"
}

# SIGINT to a lab at the moment its named semaphore NAME has just been made,
# before the lab's next line could register it for removal: glibc and musl both
# make a semaphore under a temporary name and link() it to its own, and strace
# holds the lab 3 s on its way back from that link(). The lab must die of the
# signal leaving nothing: not NAME, not the temporary file.
# Usage: interrupt_at_sem_link NAME command args...
interrupt_at_sem_link() {
	local name=$1 log=$BATS_TEST_TMPDIR/strace.log pid lab="" sem tmp left="" i status=0
	shift
	command -v strace >/dev/null || skip "strace is not installed: it widens the window (apt-get install strace)"
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"
	# LeakSanitizer cannot work under ptrace: a sanitized build would fail at exit
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o "$log" -e trace=link,linkat -e inject=link,linkat:delay_exit=3000000 "$@" \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do # a busy machine: up to 60 s
		sem=$(find /dev/shm -maxdepth 1 \( -name "sem.$SHMLAB_IPC_PREFIX.$name" -o -name "$SHMLAB_IPC_PREFIX.$name" \))
		if [ -n "$sem" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
		sleep 0.1
	done
	[ -n "$sem" ] && lab=$(pgrep -P "$pid")
	# in a tracing stop ("t"): still held in the link() that made the name
	if [ -z "$lab" ] || [[ $(cut -d ' ' -f 3 "/proc/$lab/stat" 2>/dev/null) != t ]]; then
		stop_bg "$pid"
		fail "'$*' was not caught in the link() that makes $name: $(cat "$log" "$BATS_TEST_TMPDIR/out")"
	fi
	kill -INT "$lab"
	wait "$pid" || status=$?
	tmp=$(sed -n 's/^[0-9]* link("\([^"]*\)", .*/\1/p' "$log")
	if [ -n "$tmp" ] && [ -e "$tmp" ]; then # not ours to find by prefix: removed here
		rm -f "$tmp"
		left=" sem_open's temporary file $tmp"
	fi
	[ "$status" -eq 130 ] || fail "'$*' exited $status after SIGINT: $(cat "$BATS_TEST_TMPDIR/out")"
	assert_nothing_left || fail "(interrupted just after the link() that made $name)${left:+; also}$left"
	[ -z "$left" ] || fail "'$*' left$left"
}

# What start_delayed needs, else the test is skipped: a test that makes
# something before it calls start_delayed checks first, so a skip leaves nothing.
need_delay() {
	command -v strace >/dev/null || skip "needs strace, to hold the lab inside a system call"
	strace -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace not permitted)"
	skip_under_valgrind "strace and valgrind do not trace one process together"
}

# Start a lab in the background under strace, with every SYSCALL (on PATH
# only, if PATH is not empty: strace -P) held SECONDS before it returns: a
# window a test can act in, e.g. between creating an object and registering
# it. pid is the lab's own (strace -D: the tracer is not its parent); its
# output goes to $BATS_TEST_TMPDIR/out. Skips when strace cannot be used.
# SYSCALL is a name or a set (write,writev), and may end in :when=N (strace's
# own: only the Nth call of each is held).
# Usage: start_delayed SYSCALL[:when=N] SECONDS PATH command args...
start_delayed() {
	local call=${1%%:*} when='' secs=$2 path=(-P "$3")
	[[ $1 != *:* ]] || when=:${1#*:}
	shift 3
	[ -n "${path[1]}" ] || path=()
	need_delay
	: >"$BATS_TEST_TMPDIR/out"
	strace -D -f -qq -o /dev/null "${path[@]}" -e trace="$call" \
		-e inject="$call:delay_exit=$((secs * 1000000))$when" "$@" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
}

# Wait (up to 60 s) for the lab start_delayed started: its exit status in
# status, what it printed in output.
finish_delayed() {
	local i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "pid $pid still running after 60 s"; }
	status=0
	wait "$pid" || status=$?
	# shellcheck disable=SC2034 # bats' own: assert_output and assert_line read them
	output=$(cat "$BATS_TEST_TMPDIR/out")
	# shellcheck disable=SC2034
	mapfile -t lines <"$BATS_TEST_TMPDIR/out"
}
