#!/usr/bin/env bats
# 12-copy-bench: each copier by name copies byte for byte, refuses what it
# must, says when this system lacks what it is about (exit 4), and leaves
# nothing behind. Timing them all is bench's (bench.bats).
# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr

load helper
bats_require_minimum_version 1.5.0

# An input of BYTES (default 1 MiB) random bytes in the test's directory: its path.
input() {
	head -c "${1:-1048576}" /dev/urandom >"$BATS_TEST_TMPDIR/in"
	echo "$BATS_TEST_TMPDIR/in"
}

COPIERS="pipe fifo mq msg unix rw mmap splice cfr sendfile" # limit copies no bytes: it has tests of its own
METHODS="pipe fifo mq msg unix rw limit mmap splice cfr sendfile"

setup() {
	shmlab_setup
	note_queues
}

teardown() {
	assert_no_queue_left || return 1
	shmlab_teardown
}

@test "12: every copier copies byte for byte: 0, 1, chunk-1, chunk, chunk+1, many chunks" {
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
}

@test "12: --methods lists each copier by copies, with the path of each byte" {
	run --separate-stderr -0 "$BIN/12-copy-bench" --methods
	assert_equal "${lines[0]}" "method   copies where"
	assert_equal "$(awk 'NR > 1 { printf("%s ", $1) }' <<<"$output")" "$METHODS "
	assert_equal "$(awk 'NR > 1 { printf("%s", $2) }' <<<"$output")" 44444221000
	assert_line "pipe          4 file -read()-> buffer -write()-> pipe -read()-> buffer -write()-> file"
	assert_line --regexp '^msg +4 .*-msgsnd\(\)-> queue -msgrcv\(\)-> '
	assert_line --regexp '^mmap +1 '
	assert_line --regexp '^cfr +0 .*copy_file_range\(\)'
	assert_equal "$stderr" ""
	# each one listed runs
	for m in $METHODS; do
		run -0 "$BIN/12-copy-bench" "$m" -b 4096 "$(input 10000)" "$BATS_TEST_TMPDIR/out"
	done
}

@test "12: a copier this system cannot run says why and exits 4" {
	# copy_file_range between two file systems: EXDEV since Linux 5.19 (before, the kernel copied)
	local major minor rc=0
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -ge 19 ]; } || skip "Linux $(uname -r) copies between file systems"
	shm="/dev/shm/$SHMLAB_IPC_PREFIX.in"
	head -c 100000 /dev/urandom >"$shm"
	[ "$(stat -c %d "$shm")" != "$(stat -c %d "$BATS_TEST_TMPDIR")" ] || { rm -f "$shm"; skip "$BATS_TEST_TMPDIR is on /dev/shm"; }
	"$BIN/12-copy-bench" cfr "$shm" "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/said" 2>&1 || rc=$?
	rm -f "$shm"
	assert_equal "$rc" 4
	# glibc says "Invalid cross-device link", musl "Cross-device link"
	assert_regex "$(cat "$BATS_TEST_TMPDIR/said")" '^12-copy-bench: copy_file_range: (Invalid c|C)ross-device link \(INPUT and OUTPUT are on two file systems it cannot copy between\)$'
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

@test "12: a receiver that dies is noticed: the sender says why, exit 1" {
	in=$(input $((4 * 1048576)))
	# the receiver fails while the sender waits on a full queue: the sender notices, exit 1
	for m in mq msg fifo unix pipe; do
		run -1 "$BIN/12-copy-bench" "$m" -b 4096 "$in" /dev/full
		assert_line --index 0 "12-copy-bench: write /dev/full: No space left on device"
		assert_line --index 1 --regexp '^12-copy-bench: child [0-9]+ failed \(exit 1\)'
	done
}

@test "12: SIGINT and SIGTERM stop a copier and both its processes, leaving nothing in /dev/shm, /tmp or ipcs" {
	# INPUT a FIFO that a writer holds open and never writes to: each copier
	# has made its queue, FIFO or pipe and its peer, then waits in read()
	mkfifo "$BATS_TEST_TMPDIR/input"
	exec 7<>"$BATS_TEST_TMPDIR/input"
	for m in fifo msg mq pipe unix; do
		interrupt_midrun INT 0.5 "$BIN/12-copy-bench" "$m" "$BATS_TEST_TMPDIR/input" "$BATS_TEST_TMPDIR/copy"
		interrupt_midrun TERM 0.5 "$BIN/12-copy-bench" "$m" "$BATS_TEST_TMPDIR/input" "$BATS_TEST_TMPDIR/copy"
	done
	exec 7>&-
	assert_equal "$(leaked_queues)" ""
	assert_equal "$(find /dev/shm -maxdepth 1 -name "*$SHMLAB_IPC_PREFIX*")" ""
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

@test "12: bad arguments are usage errors (exit 2), a line naming the problem" {
	run -2 "$BIN/12-copy-bench"
	assert_usage_error "12-copy-bench: missing METHOD"
	run -2 "$BIN/12-copy-bench" cat in out
	assert_usage_error "12-copy-bench: unknown method 'cat' (${METHODS// /, })"
	run -2 "$BIN/12-copy-bench" shm1 in out # a lab's copier, not this one's
	assert_usage_error "unknown method 'shm1'"
	run -2 "$BIN/12-copy-bench" -b 4096 rw in out
	assert_usage_error "unknown method '-b'"
	run -2 "$BIN/12-copy-bench" rw onlyinput
	assert_usage_error "rw needs INPUT and OUTPUT"
	run -2 "$BIN/12-copy-bench" rw in out extra
	assert_usage_error "rw needs INPUT and OUTPUT"
	run -2 "$BIN/12-copy-bench" pipe -b x in out
	assert_usage_error "BYTES 'x' is not a number"
	run -2 "$BIN/12-copy-bench" pipe -b 0 in out
	assert_usage_error "BYTES '0' is out of range"
	run -2 "$BIN/12-copy-bench" rw -q in out
	assert_usage_error "unknown option '-q'"
	run -2 "$BIN/12-copy-bench" pipe -b
	assert_usage_error "option -b needs a number of bytes"
	run -2 "$BIN/12-copy-bench" --methods in
	assert_usage_error "--methods copies no file: drop 'in'"
}

@test "12: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/12-copy-bench" -h
	assert_line --index 0 "usage: 12-copy-bench METHOD [-b BYTES] INPUT OUTPUT"
	assert_line --index 1 "       12-copy-bench --methods"
	assert_equal "${#lines[@]}" 2
	assert_equal "$stderr" ""
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
