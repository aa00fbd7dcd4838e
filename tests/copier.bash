# What the tests of the shared-memory copiers (09, 10, 11) share. The test file
# sets PROG (the program under test) and LAB (its name, as in its messages),
# and defines met NAME: return once both sides of the copy NAME have met, the
# server with INPUT open.
# shellcheck shell=bash disable=SC2034,SC2154 # pid, status, output...: set for the test; stderr by run

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
	# emptied here, not only by the background job's own redirection, which may come
	# later: a wait on TAG.out must never see the previous run's lines
	: >"$BATS_TEST_TMPDIR/$tag.out"
	: >"$BATS_TEST_TMPDIR/$tag.err"
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

# begin ROLE NAME ARG...: start `$PROG ROLE -n NAME ARG...` like start does,
# its pid in spid (server) or cpid (client), and wait until it is under way:
# a server until its object NAME exists, a client until the lab's
# client_waits NAME says it waits for its server.
begin() {
	local role=$1 name=$2
	shift 2
	start "$role" "$PROG" "$role" -n "$name" "$@"
	if [ "$role" = server ]; then
		spid=$pid
		wait_for_object "$name"
	else
		cpid=$pid
		client_waits "$name"
	fi
}

# in_state PID STATE: wait (up to 10 s) until process PID is in STATE, the
# letter of /proc/PID/stat: S asleep (e.g. in the naps of a client that polls
# for its server), Z a zombie (ended, and its parent has not reaped it).
in_state() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != "$2" ] || return 0
		sleep 0.1
	done
	fail "process $1 is not in state $2 after 10 s: $(cat "/proc/$1/stat" 2>&1)"
}
asleep() { in_state "$1" S; }

# meet NAME OUTPUT [OPTION...]: start a server of NAME reading the FIFO fifo
# (held open on fd 8, see hold_fifo) and a client of NAME writing OUTPUT, and
# return once they have met; their pids in spid and cpid. The copy waits for
# data on fd 8. OPTIONs go to both sides.
meet() {
	local name=$1 output=$2
	shift 2
	hold_fifo fifo
	start server "$PROG" server -n "$name" "$@" fifo
	spid=$pid
	start client "$PROG" client -n "$name" "$@" "$output"
	cpid=$pid
	met "$name"
	wait_mapped "$cpid" "$name"
}

# wait_mapped PID NAME: wait (up to 10 s) until process PID has mapped the
# object NAME.
wait_mapped() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qF "/dev/shm/$SHMLAB_IPC_PREFIX.$2" "/proc/$1/maps" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "process $1 never mapped $2"
}

# copy_object: the name of the one copy-* object the copy subcommand made
# under this test's prefix (a random name), once it exists.
copy_object() {
	local i f
	for ((i = 0; i < 100; i++)); do
		for f in "/dev/shm/$SHMLAB_IPC_PREFIX".copy-*; do
			[ -e "$f" ] && { echo "${f#"/dev/shm/$SHMLAB_IPC_PREFIX."}"; return 0; }
		done
		sleep 0.1
	done
	fail "no copy-* object appeared"
}

# copy_children PPID: "SERVER CLIENT", the pids of a running copy's two
# children, once the server has the FIFO fifo open (the client does not).
copy_children() {
	local i p server client
	for ((i = 0; i < 100; i++)); do
		server='' client=''
		for p in $(pgrep -P "$1"); do
			if has_fifo_open "$p"; then server=$p; else client=$p; fi
		done
		[ -n "$server" ] && [ -n "$client" ] && { echo "$server $client"; return 0; }
		sleep 0.1
	done
	fail "the copy's two children never both appeared"
}
has_fifo_open() {
	local fd
	for fd in "/proc/$1/fd/"*; do
		[[ $(readlink "$fd") != */fifo ]] || return 0
	done
	return 1
}

# hold_fifo PATH: make a FIFO and hold it open (read and write) on fd 8, so
# that a program reading it waits for data, and one writing it fills it and
# blocks. Data goes in with >&8; `exec 8>&-` lets a reader see end of file.
hold_fifo() {
	mkfifo "$1"
	exec 8<>"$1"
}

# The summary lines of a successful copy of BYTES in CHUNKS, sorted.
summary() {
	printf '%s client: received %s bytes in %s\n%s server: sent %s bytes in %s' \
		"$LAB" "$1" "$(chunks "$2")" "$LAB" "$1" "$(chunks "$2")"
}

# chunks N: "1 chunk" or "N chunks", as the copiers say it
chunks() {
	if [ "$1" -eq 1 ]; then echo "1 chunk"; else echo "$1 chunks"; fi
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

# ---- the tests both copiers must pass: each lab's .bats file calls these
# from its own @test, with PROG and LAB set to its program.

# copy is byte-exact for 0, 1, chunk-1, chunk, chunk+1 bytes and many chunks
copier_byte_exact_sizes() {
	for size in 0 1 4095 4096 4097 1000000; do
		head -c "$size" /dev/urandom >in
		run --separate-stderr -0 "$PROG" copy -b 4096 in out
		cmp in out
		assert_output ""
		assert_equal "$(sort <<<"$stderr")" "$(summary "$size" $(((size + 4095) / 4096)))"
	done
}

# binary data: every byte value, NULs and newlines included
copier_binary_data() {
	for i in $(seq 0 255); do printf '%b' "\\0$(printf '%03o' "$i")"; done >in
	cat in in in >>in2
	mv in2 in
	run -0 "$PROG" copy -b 100 in out
	cmp in out
	assert_equal "$(stat -c %s out)" 768
}

# a sparse 5 GiB input streamed to stdout is byte-exact, in CHUNKS chunks of
# the lab's default size
copier_sparse_5g_to_stdout() {
	slow_scenario 10 "a 5 GiB copy"
	skip_under_valgrind "5 GiB takes minutes there; the plain, sanitizer and musl runs copy it"
	truncate -s 5G in
	run -0 bash -c "'$PROG' copy in - 2>err | cmp - in"
	assert_output ""
	assert_equal "$(sort err)" "$(summary 5368709120 "$1")"
}

# a sparse 5 GiB input copied to a file is byte-exact. Writing 5 GiB to a file
# takes half a minute where streaming it takes seconds; the stream above counts
# the same offsets past 4 GiB, so make test leaves this one to make check.
copier_sparse_5g_to_file() {
	local avail
	slow_scenario none "a 5 GiB copy to a file"
	skip_under_valgrind "5 GiB takes minutes there; the plain, sanitizer and musl runs copy it"
	avail=$(df -P -k . | awk 'NR == 2 { print $4 }')
	[ "$avail" -gt $((7 * 1024 * 1024)) ] ||
		skip "needs 7 GiB free in $BATS_TEST_TMPDIR, has $((avail / 1024)) MiB"
	truncate -s 5G in
	run -0 "$PROG" copy -b 1048576 in out
	assert_equal "$(stat -c %s out)" 5368709120
	cmp in out
	rm -f out
}

# input from a pipe, output to a pipe
copier_pipes() {
	head -c 300000 /dev/urandom >in
	run -0 bash -c "cat in | '$PROG' copy - out"
	cmp in out
	run -0 bash -c "'$PROG' copy in - 2>/dev/null | cat >piped"
	cmp in piped
	run -0 bash -c "cat in | '$PROG' copy -b 1000 - - 2>/dev/null | cmp - in"
}

# server first, then client; and client first, then server. CHUNKS: how many
# of the default chunks 200000 bytes take (the second copy uses 1000-byte ones)
copier_either_order() {
	head -c 200000 /dev/urandom >in
	begin server order in
	run -0 "$PROG" client -n order out
	assert_output "$LAB client: received 200000 bytes in $(chunks "$1")"
	finish server "$spid"
	assert_equal "$status" 0
	assert_output "$LAB server: sent 200000 bytes in $(chunks "$1")"
	cmp in out

	begin client order out2
	run -0 "$PROG" server -n order -b 1000 in
	assert_output "$LAB server: sent 200000 bytes in 200 chunks"
	finish client "$cpid"
	assert_equal "$status" 0
	assert_output "$LAB client: received 200000 bytes in 200 chunks"
	cmp in out2
}

# server from stdin, client to stdout
copier_stdin_stdout() {
	head -c 150000 /dev/urandom >in
	begin client pipes -
	run -0 bash -c "cat in | '$PROG' server -n pipes -"
	finish client "$cpid"
	assert_equal "$status" 0
	cmp in client.out
}

# OUTPUT is replaced only when complete, with the usual permissions
copier_output_replaced_when_complete() {
	local i
	echo old >out
	hold_fifo fifo
	start copy bash -c "umask 022 && exec '$PROG' copy fifo out"
	cpid=$pid
	# both sides met, so the server has the FIFO open: closing our end now
	# gives it end of file, not a FIFO with no writer to wait for forever
	met "$(copy_object)"
	printf 'new data' >&8
	for ((i = 0; i < 100; i++)); do # until the chunk is in the temp file
		[ "$(cat shmlab-copy.* 2>/dev/null)" != "new data" ] || break
		sleep 0.1
	done
	assert_equal "$(cat shmlab-copy.*)" "new data"
	assert_equal "$(cat out)" old # written beside it, not yet renamed
	exec 8>&-
	finish copy "$cpid"
	[ "$status" -eq 0 ] || fail "copy failed (exit $status): $output"
	assert_equal "$(cat out)" "new data"
	assert_equal "$(stat -c %a out)" 644
}

# input missing or a directory: exit 1, no OUTPUT, nothing left
copier_bad_input() {
	run -1 "$PROG" copy nosuch out
	assert_output --partial "$LAB server: open nosuch: No such file or directory"
	assert_file_not_exists out
	mkdir dir
	run -1 "$PROG" copy dir out
	assert_output --partial "$LAB server: read dir: Is a directory"
	assert_file_not_exists out
	run -1 "$PROG" copy /proc/self/mem out # a read error on the way
	assert_output --regexp "read /proc/self/mem: (Input/output|I/O) error"
	assert_file_not_exists out
}

# output directory missing, OUTPUT a directory: exit 1, nothing left
copier_bad_output() {
	echo data >in
	run -1 "$PROG" copy in nodir/out
	assert_output "$LAB: create a temp file beside nodir/out: No such file or directory"
	mkdir dir
	run -1 "$PROG" copy in dir
	assert_output "$LAB: write dir: Is a directory"
}

# input unreadable, output directory unwritable: exit 1, nothing left
copier_permissions() {
	skip_under_valgrind "valgrind run as user nobody cannot write its files into the test's TMPDIR"
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv >/dev/null || skip "root reads everything; setpriv is missing to test as nobody"
	fi
	perm_dir=$(mktemp -d /tmp/copier-perm.XXXXXX)
	chmod 755 "$perm_dir"
	local prog_copy=$PROG
	if ! unprivileged test -x "$PROG"; then # a clone in a 0700 home: run a copy
		cp "$PROG" "$perm_dir/"
		prog_copy="$perm_dir/${PROG##*/}"
	fi
	echo secret >"$perm_dir/in"
	chmod 600 "$perm_dir/in"
	mkdir "$perm_dir/ro" "$perm_dir/rw"
	chmod 777 "$perm_dir/rw"
	echo data >"$perm_dir/open"
	chmod 644 "$perm_dir/open"
	chmod 555 "$perm_dir/ro"
	[ "$(id -u)" -eq 0 ] || chmod 000 "$perm_dir/in"
	run -1 unprivileged "$prog_copy" copy "$perm_dir/in" "$perm_dir/rw/out"
	assert_output --partial "open $perm_dir/in: Permission denied"
	run -1 unprivileged "$prog_copy" copy "$perm_dir/open" "$perm_dir/ro/out"
	assert_output --partial "create a temp file beside $perm_dir/ro/out: Permission denied"
	run ls -A "$perm_dir/rw"
	assert_output ""
	assert_file_not_exists "$perm_dir/ro/out"
	run ls -A "$perm_dir/ro"
	assert_output ""
}

# OUTPUT on /dev/full: ENOSPC reported, exit 1, no temp file in /dev
copier_dev_full() {
	head -c 100000 /dev/urandom >in
	run -1 "$PROG" copy in /dev/full
	assert_output --partial "$LAB client: write /dev/full: No space left on device"
	refute_output --partial "sent"
	assert_equal "$(find /dev -maxdepth 1 -name 'shmlab-*')" ""
}

# a peer that never comes: each side gives up after -t seconds, the server
# saying SERVER_SAYS
copier_peer_never_comes() {
	echo data >in
	run -1 "$PROG" server -n lone -t 1 in
	assert_output "$LAB server: $1"
	run -1 "$PROG" client -n lone -t 1 out
	assert_output "$LAB client: no server came within 1 s"
	assert_file_not_exists out
}

# copy: either child killed with SIGKILL: it stops within 5 s, exit 1, nothing left
copier_copy_child_killed() {
	for victim in server client; do
		hold_fifo fifo
		start copy "$PROG" copy fifo out
		ppid=$pid
		read -r spid cpid < <(copy_children "$ppid")
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

# one_side_stops "SIGNALS" "SAYS" OUTPUT [OPTION...]: for each signal and each
# side, a copy meets (OPTIONs to both sides), that side gets the signal and
# dies of it, and the other exits 1 within 5 s saying SAYS, where VICTIM
# stands for the side that died; nothing is left.
copier_one_side_stops() {
	local sigs=$1 says=$2 to=$3 sig victim other opid # not "output": finish sets that
	shift 3
	for sig in $sigs; do
		for victim in server client; do
			meet stop "$to" "$@"
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
			assert_output "$LAB $other: ${says//VICTIM/$victim}"
			[ "$elapsed_ms" -lt 5000 ] || fail "took $elapsed_ms ms"
			assert_file_not_exists out
			exec 8>&-
			rm fifo
			assert_nothing_left
		done
	done
}

# the lab's default chunk is CHUNK bytes: copies around it and of four chunks
copier_default_chunk() {
	local c=$1 size
	for size in $((c - 1)) "$c" $((c + 1)) $((4 * c)); do
		head -c "$size" /dev/urandom >in
		run --separate-stderr -0 "$PROG" copy in out
		cmp in out
		assert_equal "$(sort <<<"$stderr")" "$(summary "$size" $(((size + c - 1) / c)))"
	done
}

# the ring: byte-exact with 1, 2, 3 and 7 slots, wrapping many times, and
# around the chunk and ring sizes
copier_ring_slots() {
	head -c 1000003 /dev/urandom >in
	for slots in 1 2 3 7; do
		run --separate-stderr -0 "$PROG" copy -b 4096 -s "$slots" in out
		cmp in out
		assert_equal "$(sort <<<"$stderr")" "$(summary 1000003 245)"
	done
	for size in 0 1 4095 4096 4097 16384 16385; do # around chunk and ring size (4 x 4096)
		head -c "$size" /dev/urandom >in
		run -0 "$PROG" copy -b 4096 -s 4 in out
		cmp in out
	done
}

# the default ring is 4 slots of 64 KiB, and the server may set it
copier_default_ring() {
	head -c 1048576 /dev/urandom >in
	run --separate-stderr -0 "$PROG" copy in out
	assert_equal "$(sort <<<"$stderr")" "$(summary 1048576 16)"
	begin server ring -b 1000 -s 16 in
	run -0 "$PROG" client -n ring out2
	assert_output "$LAB client: received 1048576 bytes in 1049 chunks"
	finish server "$spid"
	assert_equal "$status" 0
	cmp in out2
}

# 09 and 10: a second server on a name in use fails (O_EXCL), the first goes on
copier_second_server() {
	head -c 300000 /dev/urandom >in
	begin server busy in
	run -1 "$PROG" server -n busy in
	assert_output "$LAB server: shm_open $(full_name busy): File exists: another run has it, or one was killed before it could remove it (make clean-ipc removes it)"
	run -0 "$PROG" client -n busy out
	finish server "$spid"
	assert_equal "$status" 0
	cmp in out
}

# 09 and 10: a second client on a name whose server has one is turned away at
# once (exit 1, the name left to the copy that has it), and the first copy is
# byte-exact. -t 3: without the claim the second client would join, wait for a
# chunk and give up after 3 s, removing the live server's name.
copier_second_client() {
	local i
	head -c 300000 /dev/urandom >in
	meet busy out
	for ((i = 0; i < 100; i++)); do # the first client opens OUTPUT once it holds the copy
		compgen -G 'shmlab-copy.*' >/dev/null && break
		sleep 0.1
	done
	run -1 "$PROG" client -n busy -t 3 out2
	assert_output "$LAB client: name 'busy' is in use: its server has a client ($(full_name busy))"
	assert_file_not_exists out2
	assert_file_exists "/dev/shm/$SHMLAB_IPC_PREFIX.busy"
	cat in >&8
	exec 8>&-
	finish client "$cpid"
	assert_equal "$status" 0
	finish server "$spid"
	assert_equal "$status" 0
	cmp in out
}

# copy: SIGINT or SIGTERM stops the parent and both children
copier_copy_signals() {
	hold_fifo fifo
	interrupt_midrun INT 0.5 "$PROG" copy fifo dst
	assert_file_not_exists dst
	interrupt_midrun TERM 0.5 "$PROG" copy fifo dst
	assert_file_not_exists dst
}

# the usage errors both copiers share (each lab's test adds its own)
copier_usage_errors() {
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
	run -2 "$PROG" client -b 10 out
	assert_usage_error "unknown option '-b' for client"
	run -2 "$PROG" copy --fast in out # named whole, not as '--'
	assert_usage_error "unknown option '--fast' for copy"
	run -2 "$PROG" copy -b
	assert_usage_error "option -b needs a value"
	run -2 "$PROG" server -n ../x in
	assert_usage_error "name '../x' is invalid"
}

# the usage errors of -s, for the labs with a ring (10, 11)
copier_ring_usage_errors() {
	run -2 "$PROG" copy -s 0 in out
	assert_usage_error "SLOTS '0' is out of range (want 1 to 1024)"
	run -2 "$PROG" server -s 1025 in
	assert_usage_error "SLOTS '1025' is out of range (want 1 to 1024)"
	run -2 "$PROG" copy -s 64 -b 67108864 in out
	assert_usage_error "64 slots of 67108864 bytes is more than 1 GiB of shared memory"
	run -2 "$PROG" client -s 4 out
	assert_usage_error "unknown option '-s' for client"
}

# A client killed while its parent does not reap it: a zombie is dead, and the
# server (started with SERVER-OPTIONS) says so within 5 s. The file's teardown
# stops $nanny if the test failed early.
copier_zombie_client() {
	head -c 1000000 /dev/urandom >in
	hold_fifo outfifo # nobody reads it: the client blocks in write()
	start server "$PROG" server -n zombie "$@" in
	spid=$pid
	# the client's parent, as a script or make might be: it starts the client,
	# then never calls wait(); a dead client stays a zombie (state Z) meanwhile
	# shellcheck disable=SC2016 # the script's $1 and $! are its own
	start nanny sh -c '"$1" client -n zombie outfifo & echo $! >cpid; exec sleep 600' sh "$PROG"
	nanny=$pid
	met zombie
	cpid=$(cat cpid)
	mark_time
	kill -9 "$cpid"
	in_state "$cpid" Z # a zombie: ended, not reaped
	finish server "$spid" $((15 * SLOW)) # without -t, the old code waited for ever
	assert_equal "$status" 1
	assert_output "$LAB server: the client (pid $cpid) died"
	[ "$elapsed_ms" -lt $((5000 * SLOW)) ] || fail "took $elapsed_ms ms"
	stop_bg "$nanny" # the sleep: the zombie goes to init, which reaps it
	nanny=
}
