#!/usr/bin/env bats
# 12-copy-bench: every method runs, every output is checked, the report has its
# shape, and a wrong or failing copier is a failure. Never its speed.
# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
# shellcheck disable=SC2016 # the fake copiers' code is meant for their shell, not ours

load helper

# One tiny run in the test's own directory: -n 1 (MiB), one timed run.
bench() {
	"$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -n 1 -r 1 "$@"
}

# A copier with the copiers' interface, PROGRAM SUBCOMMAND [options] INPUT OUTPUT,
# made from a shell snippet that sees $in and $out.
fake_copier() {
	local path="$BATS_TEST_TMPDIR/$1"
	printf '#!/bin/sh\neval "in=\\${$(($# - 1))} out=\\${$#}"\n%s\n' "$2" >"$path"
	chmod +x "$path"
	echo "$path"
}

# the row of METHOD in the Markdown table
row() {
	grep -E "^\| $1 +\|" <<<"$output"
}

@test "12: rw, pipe, shm1 and ring all run and are verified" {
	run -0 bench
	assert_line --partial "## 12-copy-bench: copy one file four ways"
	assert_line --regexp '^- machine: [0-9]+ cores.*, Linux '
	assert_line --regexp '^- load average at the start: [0-9.]+ [0-9.]+ [0-9.]+$'
	assert_line "- input: 1 MiB of pseudo-random bytes"
	assert_line --regexp "^- files: $BATS_TEST_TMPDIR \(.+\)"
	assert_line "- every method: chunk 1 MiB; ring: 4 slots; median of 1 runs after 1 warm-up"
	for m in rw pipe shm1 ring; do
		assert_line --regexp "^\| $m +\| .*\| verified \|\$"
	done
}

@test "12: the table: copies, wall time, MB/s, CPU, RSS, switches, ratios" {
	run -0 bench -m rw,pipe
	assert_line "| method | copies | wall ms |   MB/s | CPU ms | peak RSS  | vol cs | invol cs | x pipe |  x rw | output   |"
	num='[0-9]+(\.[0-9]+)?'
	assert_line --regexp "^\| rw +\| +2 \| +$num \| +$num \| +$num \| +$num (KiB|MiB) \| +[0-9]+ \| +[0-9]+ \| +$num \| +1\.00 \| verified \|$"
	assert_line --regexp "^\| pipe +\| +4 \| .* \| +1\.00 \| +$num \| verified \|$"
	assert_equal "$(grep -c '^| ' <<<"$output")" 3
}

@test "12: --csv: a header and one row of 14 fields per method" {
	run --separate-stderr -0 bench --csv -b 65536 -s 2
	assert_equal "${lines[0]}" "method,chunk,slots,bytes,runs,wall_ms,mb_s,cpu_ms,maxrss_kib,vol_cs,invol_cs,vs_pipe,vs_rw,result"
	assert_equal "${#lines[@]}" 5
	assert_equal "$(cut -d, -f1-5 <<<"$output" | tail -n +2)" "$(printf '%s\n' \
		rw,65536,,1048576,1 pipe,65536,,1048576,1 shm1,65536,,1048576,1 ring,65536,2,1048576,1)"
	for i in 1 2 3 4; do
		assert_regex "${lines[$i]}" '^[a-z0-9]+,65536,2?,1048576,1,([0-9.]+,){5}[0-9]+,[0-9.]+,[0-9.]+,"verified"$'
	done
	assert_equal "$stderr" ""
}

@test "12: rw and pipe copy byte for byte: 0, 1, chunk-1, chunk, chunk+1, many chunks" {
	for n in 0 1 4095 4096 4097 1000000; do
		head -c "$n" /dev/urandom >"$BATS_TEST_TMPDIR/in"
		for m in rw pipe; do
			run -0 "$BIN/12-copy-bench" "$m" -b 4096 "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
			assert_output ""
			cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
		done
	done
	run -1 "$BIN/12-copy-bench" pipe "$BATS_TEST_TMPDIR/in" /nonexistent/dir/out
	assert_output "12-copy-bench: open /nonexistent/dir/out: No such file or directory"
	run -1 "$BIN/12-copy-bench" rw "$BATS_TEST_TMPDIR/in" /dev/full
	assert_output "12-copy-bench: write /dev/full: No space left on device"
	run -1 "$BIN/12-copy-bench" pipe "$BATS_TEST_TMPDIR/in" /dev/full
	assert_line --index 0 "12-copy-bench: write /dev/full: No space left on device"
	assert_line --index 1 --regexp '^12-copy-bench: child [0-9]+ failed \(exit 1\)$'
}

@test "12: FILE is copied as it is, and left as it was" {
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	cp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -0 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 2 -m rw,pipe "$BATS_TEST_TMPDIR/data"
	assert_line --regexp "^- input: 293.0 KiB in $BATS_TEST_TMPDIR/data \([a-z0-9]+\)$"
	assert_line --regexp "^- outputs: $BATS_TEST_TMPDIR \("
	run -0 row pipe
	assert_output --regexp '\| verified \|$'
	cmp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -1 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/nothing"
	assert_output "12-copy-bench: $BATS_TEST_TMPDIR/nothing: No such file or directory"
	run -1 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR"
	assert_output "12-copy-bench: $BATS_TEST_TMPDIR: not a regular file"
}

@test "12: a fast wrong copy is a failure: WRONG, exit 1, the others still verified" {
	head -c 1048576 /dev/zero >"$BATS_TEST_TMPDIR/zeros"
	fake=$(fake_copier wrong 'cp "$in" "$out" && printf X | dd of="$out" bs=1 seek=1000 conv=notrunc 2>/dev/null')
	run -1 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 1 -m rw,pipe,shm1 --with "shm1=$fake" "$BATS_TEST_TMPDIR/zeros"
	run -0 row shm1
	assert_output --regexp '\|  +\| WRONG: output differs from input at byte 1000 \|$'
	run -1 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -r 1 -m rw,pipe,shm1 --with "shm1=$fake" "$BATS_TEST_TMPDIR/zeros"
	assert_line "12-copy-bench: shm1 (chunk 1048576, 1 slots): output differs from input at byte 1000"
	assert_line --regexp '^\| rw .*\| verified \|$'
	assert_line --regexp '^\| pipe .*\| verified \|$'
	# short by one byte
	fake=$(fake_copier short 'head -c 1048575 "$in" >"$out"')
	run -1 bench -m rw,ring --with "ring=$fake"
	assert_line --regexp '^\| ring .*\| WRONG: output has 1048575 bytes, input 1048576 \|$'
}

@test "12: a copier that fails, dies or is missing is reported, exit 1" {
	fake=$(fake_copier fails 'echo "fails: cannot copy $in" >&2; exit 3')
	run -1 bench -m pipe,shm1 --with "shm1=$fake"
	assert_line --regexp "^\| shm1 .*\| FAILED: exit 3: fails: cannot copy $BATS_TEST_TMPDIR/shmlab-bench-input\.[A-Za-z0-9]{6} \|$"
	fake=$(fake_copier dies 'kill -KILL $$')
	run -1 bench -m rw --with "rw=$fake"
	assert_line --regexp '^\| rw .*\| FAILED: killed by signal 9 \(Killed\) \|$'
	run -1 bench -m rw,ring --with "ring=$BATS_TEST_TMPDIR/no-such-copier"
	assert_line --regexp "^\| ring +\| +2 \| .*\| MISSING: $BATS_TEST_TMPDIR/no-such-copier not built \(make\) \|$"
	assert_line --regexp '^\| rw .*\| verified \|$'
	assert_line "12-copy-bench: ring: $BATS_TEST_TMPDIR/no-such-copier not built (make)"
}

@test "12: --svg draws one bar per method" {
	run -0 bench -m rw,pipe --svg "$BATS_TEST_TMPDIR/chart.svg"
	assert_file_exists "$BATS_TEST_TMPDIR/chart.svg"
	run -0 head -1 "$BATS_TEST_TMPDIR/chart.svg"
	assert_output --partial '<svg xmlns="http://www.w3.org/2000/svg"'
	run -0 tail -1 "$BATS_TEST_TMPDIR/chart.svg"
	assert_output "</svg>"
	run -0 grep -c 'height="24" fill=' "$BATS_TEST_TMPDIR/chart.svg"
	assert_output 2
	run -0 grep -cE '>(rw|pipe)</text><rect' "$BATS_TEST_TMPDIR/chart.svg"
	assert_output 2
}

@test "12: --latency: pipe, shm and shm-spin round trips, table and CSV" {
	run -0 "$BIN/12-copy-bench" --latency -r 1
	assert_line "## 12-copy-bench: one byte there and back between two processes"
	assert_line "- 1 x 10000 round trips per method after 1000 untimed"
	num='[0-9]+\.[0-9]+'
	assert_line --regexp "^\| pipe +\| write \+ read on two pipes +\| +$num \| +$num \| +[0-9]+ \| +[0-9]+ \| +[0-9]+ \| +1\.00 \|$"
	assert_line --regexp "^\| shm +\| sem_post \+ sem_wait in shared memory \| +$num \| +$num \| .* \| +$num \|$"
	assert_line --regexp "^\| shm-spin +\| .* \| +$num \|$"
	run --separate-stderr -0 "$BIN/12-copy-bench" --latency --csv -r 1
	assert_equal "${lines[0]}" "method,round_trips,median_us,p99_us,cpu_ms,vol_cs,invol_cs,vs_pipe"
	assert_equal "${#lines[@]}" 4
	assert_regex "${lines[1]}" "^pipe,10000,$num,$num,$num,[0-9]+,[0-9]+,1\.00$"
	assert_regex "${lines[2]}" "^shm,10000,$num,$num,$num,[0-9]+,[0-9]+,$num$"
	assert_regex "${lines[3]}" "^shm-spin,10000,$num,$num,$num,[0-9]+,[0-9]+,$num$"
}

@test "12: --sweep: every chunk size from 4 KiB to 4 MiB, and what it recommends" {
	run -0 bench --sweep
	assert_line "| chunk   |    rw |  pipe |  shm1 | ring  1 | ring  2 | ring  4 | ring  8 | ring 16 |"
	for ch in '4 KiB' '8 KiB' '16 KiB' '32 KiB' '64 KiB' '128 KiB' '256 KiB' '512 KiB' '1 MiB' '2 MiB' '4 MiB'; do
		assert_line --regexp "^\| $ch +(\| +[0-9]+ ){8}\|$"
	done
	assert_line --regexp '^- shm1: fastest with chunk [0-9]+ [KM]iB \([0-9]+ MB/s\); smallest chunk within 5%: '
	assert_line --regexp '^- ring: fastest with chunk [0-9]+ [KM]iB x [0-9]+ slots \([0-9]+ MB/s\); least memory within 5%: '
	run --separate-stderr -0 bench --sweep --csv
	assert_equal "${#lines[@]}" $((1 + 11 * 8))
	assert_equal "$(grep -c ',"verified"$' <<<"$output")" 88
}

@test "12: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/12-copy-bench" -b 0
	assert_usage_error "BYTES '0' is out of range"
	run -2 "$BIN/12-copy-bench" -r abc
	assert_usage_error "RUNS 'abc' is not a number"
	run -2 "$BIN/12-copy-bench" -r 0
	assert_usage_error "RUNS '0' is out of range"
	run -2 "$BIN/12-copy-bench" -n
	assert_usage_error "option -n needs a size in MiB"
	run -2 "$BIN/12-copy-bench" -x
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/12-copy-bench" -m rw,cat
	assert_usage_error "unknown method 'cat' (rw, pipe, shm1, ring)"
	run -2 "$BIN/12-copy-bench" --with shm1
	assert_usage_error "--with wants METHOD=PROGRAM, not 'shm1'"
	run -2 "$BIN/12-copy-bench" --sweep --latency
	assert_usage_error "--sweep and --latency are separate runs: choose one"
	run -2 "$BIN/12-copy-bench" --sweep -b 4096
	assert_usage_error "drop -m, -b, -s and --svg"
	run -2 "$BIN/12-copy-bench" --latency somefile
	assert_usage_error "--latency copies no file: drop 'somefile'"
	run -2 "$BIN/12-copy-bench" a b
	assert_usage_error "unexpected argument 'b'"
	run -2 "$BIN/12-copy-bench" rw onlyinput
	assert_usage_error "rw needs INPUT and OUTPUT"
	run -2 "$BIN/12-copy-bench" pipe -b x in out
	assert_usage_error "BYTES 'x' is not a number"
	run -2 "$BIN/12-copy-bench" rw -q in out
	assert_usage_error "unknown option '-q'"
}

@test "12: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/12-copy-bench" -h
	assert_line --index 0 "usage: 12-copy-bench [-b BYTES] [-s SLOTS] [-r RUNS] [-n MIB] [-d DIR] [-m METHODS] [--with METHOD=PROGRAM] [--sweep | --latency] [--csv] [--svg FILE] [FILE]"
	assert_line --index 1 "       12-copy-bench rw|pipe [-b BYTES] INPUT OUTPUT"
	assert_equal "$stderr" ""
}

@test "12: without -d, input and outputs go to a tmpfs if there is one, and go away" {
	# a copier that notes the paths it was given, then copies right
	spy=$(fake_copier spy 'echo "$in $out" >>"$(dirname "$0")/seen"; cp "$in" "$out"')
	run -0 "$BIN/12-copy-bench" -n 1 -r 1 -m rw --with "rw=$spy"
	files=$(sed -n 's/^- files: //p' <<<"$output")
	dir=${files%% (*}
	if [ "$(stat -f -c %T "$dir")" != tmpfs ]; then
		assert_regex "$files" 'not a tmpfs, so the times include the file system'
	fi
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/seen")" 2 # the warm-up and one run
	read -r in out <"$BATS_TEST_TMPDIR/seen"
	assert_equal "$(dirname "$in")" "$dir"
	assert_equal "$(dirname "$out")" "$dir"
	assert_file_not_exists "$in"
	assert_file_not_exists "$out"
}

@test "12: SIGINT and SIGTERM mid-run stop the copier too and leave nothing" {
	interrupt_midrun INT 0.5 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -n 64 -r 50 -m pipe,ring
	interrupt_midrun TERM 0.5 "$BIN/12-copy-bench" -d "$BATS_TEST_TMPDIR" -n 64 -r 50 -m shm1,ring
	# the copiers of 09 and 10 (other programs) are given the signal and stop too
	assert_no_process "$BATS_TEST_TMPDIR/shmlab-bench" "after the signals"
}
