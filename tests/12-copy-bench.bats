#!/usr/bin/env bats
# 12-copy-bench: every method runs, every output is checked, each line has its
# shape, and a wrong or failing copier is a failure. Never its speed. The
# report made of these lines (labs/tools/bench-report.sh) is tested in tools.bats.
# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
# shellcheck disable=SC2016 # the fake copiers' code is meant for their shell, not ours

load helper
bats_require_minimum_version 1.5.0

# An input of BYTES (default 1 MiB) random bytes in the test's directory: its path.
input() {
	head -c "${1:-1048576}" /dev/urandom >"$BATS_TEST_TMPDIR/in"
	echo "$BATS_TEST_TMPDIR/in"
}

# One quick run on INPUT in the test's own directory: one timed run.
bench() {
	"$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 1 "$@"
}

# the line of METHOD
row() {
	grep -E "^$1 " <<<"$output"
}

HEAD="method copies    chunk slots  wall_ms    MB/s  cpu_ms rss_kib vol_cs invol_cs result"
ALL="pipe fifo mq msg unix rw shm1 ring robust lockfree limit mmap splice cfr sendfile"
COPIERS="rw pipe fifo mq msg unix mmap splice cfr sendfile" # this program's own

# The System V message queues there are (their ids). They have no name, and
# other programs may make some while a test runs, so a leftover of ours is one
# that was not there before the test, stays for 3 s, and that no live process
# has sent to or received from: a copier that sent or received and is gone.
msg_queues() {
	awk 'NR > 1 { print $2 }' /proc/sysvipc/msg 2>/dev/null | sort
}

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

setup_file() { make_other_user shmlabb; }
teardown_file() { remove_other_user; }

setup() {
	shmlab_setup
	msg_queues >"$BATS_TEST_TMPDIR/queues-before"
}

teardown() {
	local left id
	# what a test started in the background (its pids), whatever the test found
	[ ! -s "$BATS_TEST_TMPDIR/pids" ] || xargs kill -KILL <"$BATS_TEST_TMPDIR/pids" 2>/dev/null || true
	[ -z "${OTHER_UID:-}" ] || pkill -KILL -u "$OTHER_UID" 2>/dev/null || true
	if [ -s "$BATS_TEST_TMPDIR/sysctl" ]; then # as the test found them
		while read -r key value; do echo "$value" >"/proc/sys/fs/$key" || true; done <"$BATS_TEST_TMPDIR/sysctl"
	fi
	[ -z "${share:-}" ] || rm -rf "$share" "$loot"
	left=$(leaked_queues)
	if [ -n "$left" ]; then
		for id in $left; do ipcrm -q "$id" 2>/dev/null; done # so one leak fails one test
		fail "message queues left:$left"
		return 1
	fi
	shmlab_teardown
}

@test "12: every method runs by default, ordered by copies, a line each, verified" {
	run --separate-stderr -0 bench "$(input)"
	assert_equal "${lines[0]}" "$HEAD"
	assert_equal "$(awk 'NR > 1 { printf("%s ", $1) }' <<<"$output")" "$ALL "
	assert_equal "$(awk 'NR > 1 { printf("%s", $2) }' <<<"$output")" 444442222221000
	for m in pipe fifo unix rw shm1 ring robust mmap splice cfr sendfile; do
		assert_line --regexp "^$m +[0-4] +1048576 +(-|4) +([0-9.]+ +){6}verified\$"
	done
	for m in mq msg; do # the chunk: the largest message the system allows, if less than -b
		assert_line --regexp "^$m +4 +[0-9]+ +- +([0-9.]+ +){6}verified\$"
	done
	assert_line --regexp '^limit +2 +1048576 +- +([0-9.]+ +){6}size checked \(not a copy\)$'
	if [ -x "$BIN/16-lockfree-ring" ]; then
		assert_line --regexp '^lockfree +2 +1048576 +4 +([0-9.]+ +){6}verified$'
		assert_equal "$stderr" ""
	else # not there yet: said, not failed (the path is the lab's own: under valgrind, the real one)
		assert_line --regexp '^lockfree +2 +1048576 +4 +(- +){6}unavailable: /.*/16-lockfree-ring not built \(make\)$'
		assert_regex "$stderr" '^12-copy-bench: lockfree: unavailable: /.*/16-lockfree-ring not built \(make\)$'
	fi
}

@test "12: every copier of its own copies byte for byte: 0, 1, chunk-1, chunk, chunk+1, many chunks" {
	for n in 0 1 4095 4096 4097 1000000; do
		head -c "$n" /dev/urandom >"$BATS_TEST_TMPDIR/in"
		for m in $COPIERS; do
			run -0 "$BIN/12-copy-bench" "$m" -b 4096 "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
			assert_output ""
			cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out" || fail "$m: $n bytes copied wrong"
		done
		# the limit passes nothing: OUTPUT is as long as INPUT, and zeros
		run -0 "$BIN/12-copy-bench" limit -b 4096 "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
		cmp <(head -c "$n" /dev/zero) "$BATS_TEST_TMPDIR/out"
	done
	# a message queue's message is at most what the system allows, whatever -b says
	run -0 bench -b 65536 "$(input 300000)" mq msg
	assert_line --regexp "^mq +4 +$(cat /proc/sys/fs/mqueue/msgsize_max) +- .* verified\$"
	assert_line --regexp "^msg +4 +$(cat /proc/sys/kernel/msgmax) +- .* verified\$"
}

@test "12: --methods says where each method makes its copies" {
	run --separate-stderr -0 "$BIN/12-copy-bench" --methods
	assert_equal "${lines[0]}" "method   copies where"
	assert_equal "$(awk 'NR > 1 { printf("%s ", $1) }' <<<"$output")" "$ALL "
	assert_line "pipe          4 file -read()-> buffer -write()-> pipe -read()-> buffer -write()-> file"
	assert_line --regexp '^mq +4 .*-mq_send\(\)-> queue -mq_receive\(\)-> '
	assert_line --regexp '^mmap +1 '
	assert_line --regexp '^splice +0 .*splice\(\)'
	run -2 "$BIN/12-copy-bench" --methods in
	assert_usage_error "--methods copies no file: drop 'in'"
}

@test "12: a method this system lacks is unavailable, not failed: its row says why, exit 0" {
	in=$(input 100000)
	# lab 16 not beside the lab: its row says so
	mkdir "$BATS_TEST_TMPDIR/alone"
	cp "$BIN/12-copy-bench" "$BATS_TEST_TMPDIR/alone/"
	run --separate-stderr -0 "$BATS_TEST_TMPDIR/alone/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 1 "$in" rw lockfree
	assert_line --regexp '^rw .* verified$'
	if [ -z "${SHMLAB_VALGRIND:-}" ]; then # there the copy is a script that runs the real one
		assert_line --regexp "^lockfree +2 +1048576 +4 +(- +){6}unavailable: $BATS_TEST_TMPDIR/alone/16-lockfree-ring not built \(make\)\$"
	fi
	# but a copier named on the command line that is not there is a failure
	run -1 bench "$in" "lockfree=$BATS_TEST_TMPDIR/none"
	assert_line --regexp '^lockfree .* MISSING: '
	# copy_file_range between two file systems: EXDEV since Linux 5.19 (before, the kernel copied)
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -ge 19 ]; } || skip "Linux $(uname -r) copies between file systems"
	shm="/dev/shm/$SHMLAB_IPC_PREFIX.in"
	cp "$in" "$shm"
	[ "$(stat -c %d "$shm")" != "$(stat -c %d "$BATS_TEST_TMPDIR")" ] || { rm -f "$shm"; skip "$BATS_TEST_TMPDIR is on /dev/shm"; }
	"$BIN/12-copy-bench" cfr "$shm" "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/alone.out" 2>&1 || rc=$?
	run --separate-stderr -0 bench "$shm" cfr sendfile
	rm -f "$shm"
	# glibc says "Invalid cross-device link", musl "Cross-device link"
	why='copy_file_range: (Invalid c|C)ross-device link \(INPUT and OUTPUT are on two file systems it cannot copy between\)'
	assert_line --regexp "^cfr +0 +1048576 +- +(- +){6}unavailable: $why\$"
	assert_line --regexp '^sendfile .* verified$'
	assert_regex "$stderr" "^12-copy-bench: cfr: unavailable: $why\$"
	# alone, the copier says why, and exits 4
	assert_equal "${rc:-0}" 4
	assert_regex "$(cat "$BATS_TEST_TMPDIR/alone.out")" "^12-copy-bench: $why\$"
}

@test "12: the POSIX queue's name is private and lives only between mq_open and mq_unlink" {
	skip_under_valgrind "strace and valgrind both trace"
	need_strace
	in=$(input 100000)
	# LeakSanitizer cannot run under ptrace
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -e trace=mq_open,mq_unlink -o "$BATS_TEST_TMPDIR/trace" \
		"$BIN/12-copy-bench" mq "$in" "$BATS_TEST_TMPDIR/out"
	cmp "$in" "$BATS_TEST_TMPDIR/out"
	run -0 grep -c 'mq_open(' "$BATS_TEST_TMPDIR/trace"
	assert_output 1
	# created new (O_EXCL), 0600, under our prefix with a random part; then unlinked at once
	run -0 grep -E "mq_open\(\"$SHMLAB_IPC_PREFIX\.bench-mq\.[0-9a-f]{16}\", O_RDWR\|O_CREAT\|O_EXCL, 0600, .*\) = [0-9]+\$" "$BATS_TEST_TMPDIR/trace"
	name=$(sed -n 's/.*mq_open("\([^"]*\)".*/\1/p' "$BATS_TEST_TMPDIR/trace")
	run -0 grep -A1 'mq_open(' "$BATS_TEST_TMPDIR/trace"
	assert_line --index 1 --regexp "mq_unlink\(\"$name\"\) += 0\$"
}

@test "12: every copier with a buffer reads INPUT into it at a page boundary" {
	skip_under_valgrind "strace and valgrind both trace"
	need_strace
	local m addr n
	in=$(input $((3 * 1048576 + 12345)))
	# 1 MiB: malloc would serve it by mmap, 16 bytes into a page (glibc), where
	# read() can be several times slower than into a buffer on a page
	for m in rw pipe fifo unix limit mq msg; do
		# -P: only the calls on INPUT; -e raw=read: the buffer's address, in hex
		ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -P "$in" -e trace=read -e raw=read \
			-o "$BATS_TEST_TMPDIR/trace" "$BIN/12-copy-bench" "$m" -b 1048576 "$in" "$BATS_TEST_TMPDIR/out"
		[ "$m" = limit ] || cmp "$in" "$BATS_TEST_TMPDIR/out"
		n=0
		while read -r addr; do
			((addr % 4096 == 0)) || fail "$m: read() INPUT into $addr, $((addr % 4096)) bytes into a page"
			n=$((n + 1))
		done < <(sed -n 's/.*read(0x[0-9a-f]*, \(0x[0-9a-f]*\), .*/\1/p' "$BATS_TEST_TMPDIR/trace")
		[ "$n" -ge 4 ] || fail "$m: only $n reads of INPUT traced: $(cat "$BATS_TEST_TMPDIR/trace")"
	done
}

@test "12: the FIFO and the System V queue go on SIGINT and SIGTERM too; a dead receiver is noticed" {
	skip_under_valgrind "64 MiB through 8 KiB messages"
	in=$(input $((64 * 1048576)))
	interrupt_midrun INT 0.5 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" fifo msg
	interrupt_midrun TERM 0.5 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" msg fifo
	assert_equal "$(leaked_queues)" ""
	# the receiver fails while the sender waits on a full queue: the sender notices, exit 1
	for m in mq msg fifo unix; do
		run -1 "$BIN/12-copy-bench" "$m" -b 4096 "$in" /dev/full
		assert_line --index 0 "12-copy-bench: write /dev/full: No space left on device"
		assert_line --index 1 --regexp '^12-copy-bench: child [0-9]+ failed \(exit 1\)'
	done
}

@test "12: a line: copies, chunk, slots, then medians of wall time, MB/s, CPU, RSS, switches" {
	run --separate-stderr -0 bench -b 65536 -s 2 "$(input)" rw pipe shm1 ring
	num='[0-9]+\.[0-9]+'
	assert_line --index 1 --regexp "^rw +2 +65536 +- +$num +$num +$num +[0-9]+ +[0-9]+ +[0-9]+ verified\$"
	assert_line --index 2 --regexp "^pipe +4 +65536 +- +$num +$num +$num +[0-9]+ +[0-9]+ +[0-9]+ verified\$"
	assert_line --index 3 --regexp '^shm1 +2 +65536 +- +'
	assert_line --index 4 --regexp '^ring +2 +65536 +2 +'
	assert_equal "${#lines[@]}" 5
	# what the copiers print (09 and 10 say what they sent) is theirs, not the table's
	assert_equal "$stderr" ""
}

@test "12: a copier that cannot open or write OUTPUT says which, exit 1" {
	head -c 1000000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	run -1 "$BIN/12-copy-bench" pipe "$BATS_TEST_TMPDIR/in" /nonexistent/dir/out
	assert_output "12-copy-bench: open /nonexistent/dir/out: No such file or directory"
	run -1 "$BIN/12-copy-bench" rw "$BATS_TEST_TMPDIR/in" /dev/full
	assert_output "12-copy-bench: write /dev/full: No space left on device"
	run -1 "$BIN/12-copy-bench" pipe "$BATS_TEST_TMPDIR/in" /dev/full
	assert_line --index 0 "12-copy-bench: write /dev/full: No space left on device"
	assert_line --index 1 --regexp '^12-copy-bench: child [0-9]+ failed \(exit 1\)$'
}

@test "12: mmap, limit, cfr and sendfile refuse an INPUT that is not a regular file: exit 1, not an empty copy" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	exec 7<>"$BATS_TEST_TMPDIR/fifo" # a writer is there: opening it to read does not wait
	for m in mmap limit cfr sendfile; do
		run -1 timeout $((10 * SLOW)) "$BIN/12-copy-bench" "$m" "$BATS_TEST_TMPDIR/fifo" "$BATS_TEST_TMPDIR/out"
		assert_output "12-copy-bench: $BATS_TEST_TMPDIR/fifo: not a regular file: $m copies only a regular file"
		assert_file_not_exists "$BATS_TEST_TMPDIR/out"
		run -1 timeout $((10 * SLOW)) "$BIN/12-copy-bench" "$m" /dev/zero /dev/null
		assert_output "12-copy-bench: /dev/zero: not a regular file: $m copies only a regular file"
	done
	exec 7>&-
}

@test "12: a copier writes into no FIFO or symbolic link at OUTPUT, nor into another user's file" {
	local dir=$BATS_TEST_TMPDIR m reader why
	in=$(input 100000)
	why='not a regular file: not written (someone may have put it there to read the copy)'
	mkfifo "$dir/fifo"
	: >"$dir/target"
	ln -s "$dir/target" "$dir/link"
	for m in $COPIERS limit; do
		run -1 timeout $((10 * SLOW)) "$BIN/12-copy-bench" "$m" "$in" "$dir/fifo" # no reader
		assert_output "12-copy-bench: $dir/fifo is a FIFO, $why"
		cat "$dir/fifo" >"$dir/got" & # a reader that waits for what comes
		reader=$!
		run -1 timeout $((10 * SLOW)) "$BIN/12-copy-bench" "$m" "$in" "$dir/fifo"
		stop_bg "$reader"
		assert_output "12-copy-bench: $dir/fifo is a FIFO, $why"
		assert_equal "$(wc -c <"$dir/got")" 0
		run -1 timeout $((10 * SLOW)) "$BIN/12-copy-bench" "$m" "$in" "$dir/link"
		assert_output "12-copy-bench: $dir/link is a symbolic link, $why"
		assert_equal "$(wc -c <"$dir/target")" 0
	done
	[ "$(id -u)" -eq 0 ] || skip "needs root to give a file to another user"
	: >"$dir/theirs"
	chown 65534 "$dir/theirs"
	for m in $COPIERS limit; do
		run -1 timeout $((10 * SLOW)) "$BIN/12-copy-bench" "$m" "$in" "$dir/theirs"
		assert_output "12-copy-bench: $dir/theirs belongs to uid 65534, not to you: not written"
		assert_equal "$(wc -c <"$dir/theirs")" 0
	done
}

@test "12: INPUT is copied as it is, and left as it was" {
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	cp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -0 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 2 "$BATS_TEST_TMPDIR/data" rw pipe
	run -0 row pipe
	assert_output --regexp ' verified$'
	cmp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -1 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/nothing"
	assert_output "12-copy-bench: $BATS_TEST_TMPDIR/nothing: No such file or directory"
	run -1 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR"
	assert_output "12-copy-bench: $BATS_TEST_TMPDIR: not a regular file"
}

@test "12: a fast wrong copy is a failure: WRONG, exit 1, the others still verified" {
	head -c 1048576 /dev/zero >"$BATS_TEST_TMPDIR/zeros"
	fake=$(fake_copier wrong 'cp "$in" "$out" && printf X | dd of="$out" bs=1 seek=1000 conv=notrunc 2>/dev/null')
	run --separate-stderr -1 bench "$BATS_TEST_TMPDIR/zeros" rw pipe "shm1=$fake"
	run -0 row shm1
	assert_output --regexp '^shm1 +2 +1048576 +- +(- +){6}WRONG: output differs from input at byte 1000$'
	run -1 bench "$BATS_TEST_TMPDIR/zeros" rw pipe "shm1=$fake"
	assert_line "12-copy-bench: shm1 (chunk 1048576, 1 slots): output differs from input at byte 1000"
	assert_line --regexp '^rw .* verified$'
	assert_line --regexp '^pipe .* verified$'
	# short by one byte
	fake=$(fake_copier short 'head -c 1048575 "$in" >"$out"')
	run -1 bench "$(input)" rw "ring=$fake"
	assert_line --regexp ' WRONG: output has 1048575 bytes, input 1048576$'
}

@test "12: a copier that fails, dies or is missing is reported, exit 1" {
	in=$(input)
	fake=$(fake_copier fails 'echo "fails: cannot copy $in" >&2; exit 3')
	run -1 bench "$in" pipe "shm1=$fake"
	assert_line --regexp "^shm1 .* FAILED: exit 3: fails: cannot copy $in\$"
	assert_line "12-copy-bench: shm1 (chunk 1048576, 1 slots): exit 3: fails: cannot copy $in"
	fake=$(fake_copier dies 'kill -KILL $$')
	run -1 bench "$in" "rw=$fake"
	assert_line --regexp '^rw .* FAILED: killed by signal 9 \(Killed\)$'
	run -1 bench "$in" rw "ring=$BATS_TEST_TMPDIR/no-such-copier"
	assert_line --regexp "^ring +2 +1048576 +4 +(- +){6}MISSING: $BATS_TEST_TMPDIR/no-such-copier not built \(make\)\$"
	assert_line --regexp '^rw .* verified$'
	assert_line "12-copy-bench: ring: $BATS_TEST_TMPDIR/no-such-copier not built (make)"
	# the same method twice: two programs compared
	run -0 bench "$in" rw "rw=$BIN/12-copy-bench"
	assert_equal "$(grep -c ' verified$' <<<"$output")" 2
}

@test "12: --latency: pipe, shm and shm-spin round trips, a line each" {
	run --separate-stderr -0 "$BIN/12-copy-bench" --latency -r 1
	num='[0-9]+\.[0-9]+'
	assert_equal "${lines[0]}" "round trips: 1 x 10000 per method after 1000 untimed"
	assert_equal "${lines[1]}" "method   median_us   p99_us  cpu_ms vol_cs invol_cs what"
	assert_line --index 2 --regexp "^pipe +$num +$num +$num +[0-9]+ +[0-9]+ write \+ read on two pipes\$"
	assert_line --index 3 --regexp "^shm +$num +$num +$num +[0-9]+ +[0-9]+ sem_post \+ sem_wait in shared memory\$"
	assert_line --index 4 --regexp "^shm-spin +$num +$num +$num +[0-9]+ +[0-9]+ the same, sem_trywait spins first\$"
	assert_equal "${#lines[@]}" 5
	assert_equal "$stderr" ""
}

# Is PID running (not gone, not a zombie)?
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) && [ "$state" != Z ]
}

@test "12: --latency: a pinger killed by SIGKILL leaves no echo behind; its row says FAILED, exit 1" {
	"$BIN/12-copy-bench" --latency -r 50 >"$BATS_TEST_TMPDIR/lat" 2>&1 &
	local bench=$! pinger prev='' echo echoes=() i k rc=0
	echo "$bench" >"$BATS_TEST_TMPDIR/pids"
	for k in pipe shm shm-spin; do # each method's pinger in turn, once its echo runs
		echo=''
		for ((i = 0; i < 600; i++)); do
			pinger=$(pgrep -P "$bench" | head -n 1)
			if [ -n "$pinger" ] && [ "$pinger" != "$prev" ]; then
				echo=$(pgrep -P "$pinger" | head -n 1)
				[ -z "$echo" ] || break
			fi
			sleep 0.05
		done
		[ -n "$echo" ] || fail "no $k pinger with its echo within 30 s: $(cat "$BATS_TEST_TMPDIR/lat")"
		echo "$echo" >>"$BATS_TEST_TMPDIR/pids"
		kill -KILL "$pinger"
		prev=$pinger echoes+=("$echo")
	done
	# the echo of the pipes reads end of file at once; those of the semaphores look every second
	for echo in "${echoes[@]}"; do
		for ((i = 0; i < 50 * SLOW; i++)); do
			alive "$echo" || break
			sleep 0.1
		done
		! alive "$echo" || fail "an echo (pid $echo) still runs 5 s after its pinger was killed, in $(cat "/proc/$echo/wchan")"
	done
	for ((i = 0; i < 300 * SLOW; i++)); do
		alive "$bench" || break
		sleep 0.1
	done
	! alive "$bench" || fail "12-copy-bench --latency still runs 30 s after its three pingers were killed"
	wait "$bench" || rc=$?
	assert_equal "$rc" 1
	run cat "$BATS_TEST_TMPDIR/lat"
	for k in pipe shm shm-spin; do
		assert_line --regexp "^$k +(- +){5}FAILED: killed by signal 9 \(Killed\)\$"
		assert_line "12-copy-bench: latency $k: killed by signal 9 (Killed)"
	done
}

@test "12: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/12-copy-bench" -b 0 in
	assert_usage_error "BYTES '0' is out of range"
	run -2 "$BIN/12-copy-bench" -r abc in
	assert_usage_error "RUNS 'abc' is not a number"
	run -2 "$BIN/12-copy-bench" -r 0 in
	assert_usage_error "RUNS '0' is out of range"
	run -2 "$BIN/12-copy-bench" -s 1025 in
	assert_usage_error "SLOTS '1025' is out of range"
	run -2 "$BIN/12-copy-bench" in -r
	assert_usage_error "option -r needs a value"
	run -2 "$BIN/12-copy-bench" -x in
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/12-copy-bench" --sweep in
	assert_usage_error "unknown option '--sweep'"
	run -2 "$BIN/12-copy-bench" in rw cat
	assert_usage_error "unknown method 'cat' (${ALL// /, })"
	run -2 "$BIN/12-copy-bench" in shm1=
	assert_usage_error "METHOD=PROGRAM wants a program, not 'shm1='"
	run -2 "$BIN/12-copy-bench"
	assert_usage_error "missing INPUT"
	run -2 "$BIN/12-copy-bench" --latency somefile
	assert_usage_error "--latency copies no file: drop 'somefile'"
	run -2 "$BIN/12-copy-bench" rw onlyinput
	assert_usage_error "rw needs INPUT and OUTPUT"
	run -2 "$BIN/12-copy-bench" pipe -b x in out
	assert_usage_error "BYTES 'x' is not a number"
	run -2 "$BIN/12-copy-bench" rw -q in out
	assert_usage_error "unknown option '-q'"
	run -2 "$BIN/12-copy-bench" pipe -b
	assert_usage_error "option -b needs a number of bytes"
}

@test "12: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/12-copy-bench" -h
	assert_line --index 0 "usage: 12-copy-bench [-b BYTES] [-s SLOTS] [-r RUNS] [-d DIR] INPUT [METHOD[=PROGRAM]...]"
	assert_line --index 1 "       12-copy-bench --latency [-r RUNS]"
	assert_line --index 2 "       12-copy-bench --methods"
	assert_line --index 3 "       12-copy-bench COPIER [-b BYTES] INPUT OUTPUT   (COPIER: a METHOD not from a lab)"
	assert_equal "$stderr" ""
}

@test "12: the outputs go to a directory of their own in -d DIR, else \$TMPDIR, mode 0700, and go away" {
	# a copier that notes the paths it was given and the mode of OUTPUT's directory, then copies right
	spy=$(fake_copier spy 'echo "$in $out $(stat -c %a "$(dirname "$out")")" >>"$(dirname "$0")/seen"; cp "$in" "$out"')
	mkdir "$BATS_TEST_TMPDIR/d"
	in=$(input)
	run -0 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR/d" -r 2 "$in" "rw=$spy"
	run -0 "$BIN/12-copy-bench" -r 1 "$in" "rw=$spy" # TMPDIR is the test's directory
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/seen")" 5 # each time the warm-up, then the runs
	while read -r i o mode; do
		assert_equal "$i" "$in"
		assert_regex "$o" '/shmlab-bench\.[A-Za-z0-9]{6}/output$'
		assert_equal "$mode" 700
		assert_file_not_exists "$(dirname "$o")"
		dirs+=("$(dirname "$(dirname "$o")")")
	done <"$BATS_TEST_TMPDIR/seen"
	assert_equal "${dirs[*]}" "$BATS_TEST_TMPDIR/d $BATS_TEST_TMPDIR/d $BATS_TEST_TMPDIR/d $BATS_TEST_TMPDIR $BATS_TEST_TMPDIR"
	assert_equal "$(find "$BATS_TEST_TMPDIR/d" -mindepth 1)" ""
}

# The other user, in a shared sticky directory (as /tmp and /dev/shm are):
# every name it sees there it takes the moment it is absent, with HOW: a FIFO
# of mode 0666 it reads from, a file of mode 0666 (linked into LOOT too, so
# that it keeps what is written there when the name is removed), or a symlink
# to a file of its own in LOOT. What it reads from a FIFO goes to LOOT/stolen.
# It runs until killed.
# shellcheck disable=SC2016 # the program is perl's, with perl's $
squatter='use strict; use POSIX qw(mkfifo); use Fcntl;
my ($share, $how, $loot) = @ARGV;
my (%names, $n, $k);
open(my $r, ">", "$loot/ready") or die "$loot/ready: $!";
close $r;
for (;;) {
	if ($n++ % 64 == 0 and opendir(my $d, $share)) {
		$names{$_} = 1 for grep { !/^\.\.?$/ } readdir $d;
		closedir $d;
	}
	for my $p (map { "$share/$_" } keys %names) {
		next if lstat $p;
		if ($how eq "fifo") {
			mkfifo($p, 0666) or next;
			chmod 0666, $p;
			next if fork;
			while (open(my $f, "<", $p)) { # whoever writes, as often as they do
				local $/;
				my $got = <$f>;
				next unless length $got;
				open(my $o, ">>", "$loot/stolen") or die "$loot/stolen: $!";
				print $o $got;
				close $o;
			}
			exit 0;
		} elsif ($how eq "file") {
			sysopen(my $f, $p, O_WRONLY | O_CREAT | O_EXCL, 0666) or next;
			chmod 0666, $p;
			link $p, "$loot/file." . ++$k;
		} else {
			my $t = "$loot/target." . ++$k;
			sysopen(my $f, $t, O_WRONLY | O_CREAT, 0666) and chmod 0666, $t;
			symlink $t, $p;
		}
	}
}'

@test "12: another user who plants a FIFO, a file or a symlink at the bench's names in a shared directory gets nothing" {
	need_other
	command -v perl >/dev/null || skip "no perl to play the other user"
	local how i rc key was found
	# the secret: readable by us alone
	secret="$BATS_TEST_TMPDIR/secret"
	for i in $(seq 8192); do echo "secret line $i of $SHMLAB_IPC_PREFIX"; done >"$secret"
	chmod 600 "$secret"
	share=$(mktemp -d /tmp/shmlab-share.XXXXXX)
	chmod 1777 "$share"
	loot=$(mktemp -d /tmp/shmlab-loot.XXXXXX)
	chown "$OTHER_UID" "$loot"
	chmod 755 "$loot"
	# the kernel's own guards off, as on many systems, and as we found them after
	local plants=fifo
	for key in protected_regular protected_symlinks protected_fifos; do
		was=$(cat "/proc/sys/fs/$key" 2>/dev/null) || continue
		{ echo 0 >"/proc/sys/fs/$key"; } 2>/dev/null || continue
		echo "$key $was" >>"$BATS_TEST_TMPDIR/sysctl"
	done
	if [ -s "$BATS_TEST_TMPDIR/sysctl" ]; then
		plants="fifo file symlink"
	else
		echo "# /proc/sys/fs is read-only: only the FIFO is planted" >&3
	fi
	for how in $plants; do
		rm -f "$loot/ready"
		as_other perl -e "$squatter" "$share" "$how" "$loot" &
		for ((i = 0; i < 100 * SLOW; i++)); do
			[ ! -e "$loot/ready" ] || break
			sleep 0.1
		done
		assert_file_exists "$loot/ready" # it runs
		rc=0
		timeout $((60 * SLOW)) "$BIN/12-copy-bench" -d "$share" -r 20 "$secret" rw pipe shm1 \
			>"$BATS_TEST_TMPDIR/out" 2>&1 || rc=$?
		pkill -KILL -u "$OTHER_UID" || true
		wait
		# what the other user owns holds nothing of the secret (grep reads no FIFO)
		found=$(find "$share" "$loot" -user "$OTHER_UID" -type f -size +0 -exec grep -lF "of $SHMLAB_IPC_PREFIX" {} + | head -n 3 | tr '\n' ' ')
		[ -z "$found" ] || fail "$how: the other user read the secret from $found"
		[ "$rc" -ne 124 ] || fail "$how: the bench still ran after $((60 * SLOW)) s: $(cat "$BATS_TEST_TMPDIR/out")"
		assert_equal "$rc" 0
		run cat "$BATS_TEST_TMPDIR/out"
		for m in rw pipe shm1; do
			assert_line --regexp "^$m .* verified\$"
		done
		# and nothing of ours is left there
		assert_equal "$(find "$share" -mindepth 1 -user "$(id -u)")" ""
		find "$share" "$loot" -mindepth 1 -delete
	done
}

@test "12: SIGINT and SIGTERM mid-run stop the copier too and leave nothing" {
	in=$(input $((64 * 1048576)))
	interrupt_midrun INT 0.5 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" pipe ring
	interrupt_midrun TERM 0.5 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" shm1 ring
	# the copiers of 09 and 10 (other programs) are given the signal and stop too
	assert_no_process "$BATS_TEST_TMPDIR/shmlab-bench" "after the signals"
}

@test "12: the header's Calls: line names only calls made in the lab's own files" {
	local dir="$BATS_TEST_DIRNAME/../labs/12-copy-bench" calls call
	calls=$(sed -n '/^ \* Calls:/,/^ \*$/p' "$dir/copy-bench.c" | sed 's/^ \* *//; s/^Calls://' | tr ',.' '  ')
	[ -n "$calls" ] || fail "no Calls: line in copy-bench.c"
	# the code without its comments; a wrapper (Sem_post for sem_post) counts as its call
	code=$(cat "$dir"/*.c "$dir"/*.h | sed 's://.*$::' | tr '\n' ' ' | sed 's:/\*\([^*]\|\*[^/]\)*\*/::g')
	for call in $calls; do
		grep -qiE "(^|[^a-z0-9_])$call ?\(" <<<"$code" || fail "Calls: names $call, which the lab's code never calls"
	done
}
