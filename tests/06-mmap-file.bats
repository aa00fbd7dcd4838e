#!/usr/bin/env bats
# 06-mmap-file: loads and stores on a mapped file; past end-of-file; SIGBUS.

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
load helper
bats_require_minimum_version 1.5.0

setup() {
	shmlab_setup
	PAGE=$(getconf PAGESIZE)
	cd "$BATS_TEST_TMPDIR" || return 1
	printf 'hello, mapped file\n' >notes.txt
	cp notes.txt before.txt
}

@test "06: shared: a store through the mapping is what read() and cat see" {
	run -0 "$BIN/06-mmap-file" shared notes.txt HOWDY
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 "notes.txt: 19 bytes, mapped MAP_SHARED"
	assert_line --index 1 'stored "HOWDY" at offset 0 through the mapping: no write() call'
	assert_line --index 2 'the mapping holds:    "HOWDY, mapped file\n"'
	assert_line --index 3 --regexp '^reader [0-9]+ read\(\): +"HOWDY, mapped file\\n"$'
	run -0 cat notes.txt
	assert_output "HOWDY, mapped file"
}

@test "06: private: the mapping changes, the file never does" {
	run -0 "$BIN/06-mmap-file" private notes.txt XX
	assert_line --index 0 "notes.txt: 19 bytes, mapped MAP_PRIVATE"
	assert_line --index 2 'the mapping holds:    "XXllo, mapped file\n"'
	assert_line --index 3 --regexp '^reader [0-9]+ read\(\): +"hello, mapped file\\n"$'
	cmp notes.txt before.txt
}

@test "06: without FILE a private temp file is used and removed" {
	run -0 "$BIN/06-mmap-file" shared HOWDY
	assert_line --index 0 "a private temp file: 19 bytes, mapped MAP_SHARED"
	assert_line --index 3 --regexp '^reader [0-9]+ read\(\): +"HOWDY, mapped file\\n"$'
	run -0 "$BIN/06-mmap-file" private HOWDY
	assert_line --index 0 "a private temp file: 19 bytes, mapped MAP_PRIVATE"
	assert_line --index 3 --regexp '^reader [0-9]+ read\(\): +"hello, mapped file\\n"$'
	# teardown checks that no shmlab-* temp file is left
}

@test "06: a long file is shown in part" {
	head -c 100 /dev/zero | tr '\0' 'a' >long.txt
	run -0 "$BIN/06-mmap-file" shared long.txt "b\"\\"
	assert_line --index 2 "the mapping holds:    \"b\\\"\\\\$(printf 'a%.0s' $(seq 61))\"..."
}

@test "06: eof: zeros to the end of the last page, SIGBUS one page past it" {
	run -0 "$BIN/06-mmap-file" eof
	assert_output "a private temp file: 100 bytes; page size $PAGE
mapped $((2 * PAGE)) bytes (2 pages): mmap does not check the file size
offsets 0..99: the file's bytes
offsets 100..$((PAGE - 1)): past end-of-file, in its last page: $((PAGE - 100)) of $((PAGE - 100)) read as 0
offset $PAGE: SIGBUS (caught): a whole page past end-of-file
  touched offset $PAGE; file size 100; page size $PAGE: page 1 has no file behind it"
}

@test "06: eof on the user's file reads it only" {
	touch -d '2001-01-01' notes.txt
	run -0 "$BIN/06-mmap-file" eof notes.txt
	assert_line --index 0 "notes.txt: 19 bytes; page size $PAGE"
	assert_line --index 3 "offsets 19..$((PAGE - 1)): past end-of-file, in its last page: $((PAGE - 19)) of $((PAGE - 19)) read as 0"
	assert_line --index 4 "offset $PAGE: SIGBUS (caught): a whole page past end-of-file"
	cmp notes.txt before.txt
	assert_equal "$(stat -c %Y notes.txt)" "$(date -d 2001-01-01 +%s)"
}

@test "06: eof on a file that ends on a page boundary" {
	head -c $((2 * PAGE)) /dev/urandom >pages.bin
	run -0 "$BIN/06-mmap-file" eof pages.bin
	assert_line --index 1 "mapped $((3 * PAGE)) bytes (3 pages): mmap does not check the file size"
	assert_line --index 3 "offsets $((2 * PAGE))..: none: the file ends on a page boundary"
	assert_line --index 5 "  touched offset $((2 * PAGE)); file size $((2 * PAGE)); page size $PAGE: page 2 has no file behind it"
}

@test "06: an empty file: a clear message, not EINVAL" {
	: >empty
	for cmd in "shared empty X" "private empty X" "eof empty"; do
		# shellcheck disable=SC2086 # the words are the arguments
		run -1 "$BIN/06-mmap-file" $cmd
		assert_output "06-mmap-file: empty is empty: no byte to map (a mapping of its 0 bytes fails with EINVAL, and every page of a longer one is past end-of-file); put something in it first"
	done
	assert_file_empty empty
}

@test "06: TEXT longer than the file: refused, file untouched" {
	run -1 "$BIN/06-mmap-file" shared notes.txt "this is longer than the file"
	assert_output "06-mmap-file: TEXT has 28 bytes but notes.txt has only 19: stores through a mapping cannot make a file longer"
	cmp notes.txt before.txt
	run -1 "$BIN/06-mmap-file" private "this is longer than the file"
	assert_output --partial "but a private temp file has only 19"
}

@test "06: missing files, directories, devices and FIFOs are runtime errors" {
	run -1 "$BIN/06-mmap-file" shared nosuch X
	assert_output "06-mmap-file: open nosuch: No such file or directory"
	run -1 "$BIN/06-mmap-file" eof /dev/null
	assert_output "06-mmap-file: /dev/null is not a regular file"
	run -1 "$BIN/06-mmap-file" eof .
	assert_output "06-mmap-file: . is not a regular file"
	mkfifo fifo
	run -1 timeout 5 "$BIN/06-mmap-file" eof fifo
	assert_output "06-mmap-file: fifo is not a regular file"
}

@test "06: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/06-mmap-file"
	assert_usage_error "missing subcommand"
	run -2 "$BIN/06-mmap-file" map notes.txt
	assert_usage_error "unknown subcommand 'map'"
	run -2 "$BIN/06-mmap-file" shared
	assert_usage_error "shared: missing TEXT"
	run -2 "$BIN/06-mmap-file" private notes.txt ""
	assert_usage_error "private: TEXT is empty"
	run -2 "$BIN/06-mmap-file" shared notes.txt A B
	assert_usage_error "unexpected argument 'B'"
	run -2 "$BIN/06-mmap-file" shared -x A
	assert_usage_error "shared: unknown option '-x'"
	run -2 "$BIN/06-mmap-file" shared -w
	assert_usage_error "SECONDS is empty"
	run -2 "$BIN/06-mmap-file" shared -w soon A
	assert_usage_error "SECONDS 'soon' is not a number"
	run -2 "$BIN/06-mmap-file" eof -w 1
	assert_usage_error "eof: unknown option '-w'"
	run -2 "$BIN/06-mmap-file" eof notes.txt other
	assert_usage_error "eof: unexpected argument 'other'"
	cmp notes.txt before.txt
}

@test "06: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/06-mmap-file" -h
	assert_output "usage: 06-mmap-file shared [-w SECONDS] [FILE] TEXT | private [-w SECONDS] [FILE] TEXT | eof [FILE]"
	assert_equal "$stderr" ""
}

@test "06: -w keeps the mapping; cat sees the store meanwhile" {
	"$BIN/06-mmap-file" shared -w 3 notes.txt HOWDY >out 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		grep -q "keeping the mapping" out && break
		sleep 0.1
	done
	assert_equal "$(cat notes.txt)" "HOWDY, mapped file"
	kill -0 "$pid" || fail "it did not keep the mapping"
	wait "$pid"
	assert_equal "$(tail -n 1 out)" "keeping the mapping for 3 s"
}

@test "06: SIGINT and SIGTERM while mapped leave no temp file" {
	interrupt_midrun INT 1 "$BIN/06-mmap-file" shared -w 30 HOWDY
	interrupt_midrun TERM 1 "$BIN/06-mmap-file" private -w 30 HOWDY
	interrupt_midrun TERM 1 "$BIN/06-mmap-file" shared -w 30 notes.txt HOWDY
	# the user's file stays, with the store made before the signal
	assert_equal "$(cat notes.txt)" "HOWDY, mapped file"
}

@test "06: FILE truncated while mapped: shared and private say so and exit 1, not SIGBUS" {
	local mode
	for mode in shared private; do
		printf 'hello, mapped file\n' >notes.txt
		# the line it prints right after mmap (its first) is held: the file shrinks meanwhile
		start_delayed write,writev:when=1 3 "" "$BIN/06-mmap-file" "$mode" notes.txt HOWDY
		for _ in $(seq 100); do
			grep -q "bytes, mapped" "$BATS_TEST_TMPDIR/out" && break
			sleep 0.1
		done
		truncate -s 0 notes.txt
		finish_delayed
		assert_equal "$status" 1
		assert_line --index 1 "06-mmap-file: notes.txt was truncated while mapped (by another process?), or its file system is full"
	done
}

@test "06: shared on a full file system: it says so and exits 1, not SIGBUS" {
	local why
	why=$(unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$BATS_TEST_TMPDIR'" 2>&1) ||
		skip "needs a private mount namespace with a small tmpfs: unshare -m said: ${why:-nothing (exit status $?)}"
	mkdir full
	# a sparse file where no block is left: the first store has no page to go to
	run -1 unshare -m bash -c "mount -t tmpfs -o size=64k tmpfs full && cd full &&
		head -c 1M /dev/zero >fill 2>/dev/null; truncate -s 8192 sparse &&
		exec '$BIN/06-mmap-file' shared sparse HOWDY"
	assert_output "sparse: 8192 bytes, mapped MAP_SHARED
06-mmap-file: sparse was truncated while mapped (by another process?), or its file system is full"
}
