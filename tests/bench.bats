#!/usr/bin/env bats
# bench (labs/tools/bench.c), the harness that times lab 12's copiers and the
# labs' copiers: every method runs, every output is checked, each line has its
# shape, and a wrong or failing copier is a failure. Never its speed. The
# copiers themselves are tested in 12-copy-bench.bats, the report made of these
# lines (labs/tools/bench-report.sh) in tools.bats.
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
	"$BIN/bench" -d "$BATS_TEST_TMPDIR" -r 1 "$@"
}

# the line of METHOD
row() {
	grep -E "^$1 " <<<"$output"
}

HEAD="method copies    chunk slots  wall_ms     min-max    MB/s  cpu_ms rss_kib vol_cs invol_cs result"
ALL="pipe fifo mq msg unix rw dd shm1 ring robust lockfree limit mmap splice cfr sendfile"
NUM='[0-9]+\.[0-9]+'
RANGE='[0-9]+\.[0-9]-[0-9]+\.[0-9]' # the wall time's min-max
DASHES='(- +){7}'                   # no figures

setup_file() { make_other_user shmlabb; }
teardown_file() { remove_other_user; }

setup() {
	shmlab_setup
	note_queues
}

teardown() {
	# what a test started in the background (its pids), whatever the test found
	[ ! -s "$BATS_TEST_TMPDIR/pids" ] || xargs kill -KILL <"$BATS_TEST_TMPDIR/pids" 2>/dev/null || true
	[ -z "${OTHER_UID:-}" ] || pkill -KILL -u "$OTHER_UID" 2>/dev/null || true
	if [ -s "$BATS_TEST_TMPDIR/sysctl" ]; then # as the test found them
		while read -r key value; do echo "$value" >"/proc/sys/fs/$key" || true; done <"$BATS_TEST_TMPDIR/sysctl"
	fi
	[ -z "${share:-}" ] || rm -rf "$share" "$loot"
	assert_no_queue_left || return 1
	shmlab_teardown
}

@test "bench: every method runs by default, ordered by copies, a line each, verified" {
	run --separate-stderr -0 bench "$(input)"
	assert_equal "${lines[0]}" "$HEAD"
	assert_equal "$(awk 'NR > 1 { printf("%s ", $1) }' <<<"$output")" "$ALL "
	assert_equal "$(awk 'NR > 1 { printf("%s", $2) }' <<<"$output")" 4444422222221000
	for m in pipe fifo unix rw dd shm1 ring robust mmap splice cfr sendfile; do
		assert_line --regexp "^$m +[0-4] +1048576 +(-|4) +$NUM +$RANGE +([0-9.]+ +){5}verified\$"
	done
	for m in mq msg; do # the chunk: the largest message the system allows, if less than -b
		assert_line --regexp "^$m +4 +[0-9]+ +- +$NUM +$RANGE +([0-9.]+ +){5}verified\$"
	done
	assert_line --regexp "^limit +2 +1048576 +- +$NUM +$RANGE +([0-9.]+ +){5}size checked \(not a copy\)\$"
	if [ -x "$BIN/16-lockfree-ring" ]; then
		assert_line --regexp "^lockfree +2 +1048576 +4 +$NUM +$RANGE +([0-9.]+ +){5}verified\$"
		assert_equal "$stderr" ""
	else # not there yet: said, not failed (the path is the lab's own: under valgrind, the real one)
		assert_line --regexp "^lockfree +2 +1048576 +4 +$DASHES""unavailable: /.*/16-lockfree-ring not built \(make\)\$"
		assert_regex "$stderr" '^bench: lockfree: unavailable: /.*/16-lockfree-ring not built \(make\)$'
	fi
}

@test "bench: a message queue's chunk is at most what the system allows, whatever -b says" {
	run -0 bench -b 65536 "$(input 300000)" mq msg
	assert_line --regexp "^mq +4 +$(cat /proc/sys/fs/mqueue/msgsize_max) +- .* verified\$"
	assert_line --regexp "^msg +4 +$(cat /proc/sys/kernel/msgmax) +- .* verified\$"
}

@test "bench: dd is the yardstick: run from PATH as dd if=INPUT of=OUTPUT bs=BYTES, its copy checked" {
	# a dd of ours first in PATH: it says how it was called, then copies with the real one
	mkdir "$BATS_TEST_TMPDIR/path"
	printf '#!/bin/sh\necho "$@" >>"%s/dd-args"\nexec %s "$@"\n' "$BATS_TEST_TMPDIR" "$(command -v dd)" >"$BATS_TEST_TMPDIR/path/dd"
	chmod +x "$BATS_TEST_TMPDIR/path/dd"
	local in
	in=$(input 300000)
	PATH="$BATS_TEST_TMPDIR/path:$PATH" run --separate-stderr -0 bench -b 65536 -r 2 "$in" dd
	assert_line --regexp "^dd +2 +65536 +- +$NUM +$RANGE +([0-9.]+ +){5}verified\$"
	run -0 sort -u "$BATS_TEST_TMPDIR/dd-args"
	assert_output --regexp "^if=$in of=/.*/shmlab-bench\.[A-Za-z0-9]{6}/output bs=65536 status=none\$"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/dd-args")" 3 # the warm-up and two timed runs
	# a dd that copies wrong is caught like any copier
	printf '#!/bin/sh\nfor a; do case $a in of=*) echo wrong >"${a#of=}" ;; esac; done\n' >"$BATS_TEST_TMPDIR/path/dd"
	PATH="$BATS_TEST_TMPDIR/path:$PATH" run --separate-stderr -1 bench -r 1 "$in" dd rw
	assert_line --regexp "^dd +2 +1048576 +- +$DASHES""WRONG: output has 6 bytes, input 300000\$"
	assert_line --regexp "^rw .* verified\$"
}

@test "bench: --methods says where each method makes its copies; lab 12's rows are the lab's own" {
	run --separate-stderr -0 "$BIN/bench" --methods
	assert_equal "${lines[0]}" "method   copies where"
	assert_equal "$(awk 'NR > 1 { printf("%s ", $1) }' <<<"$output")" "$ALL "
	assert_line "pipe          4 file -read()-> buffer -write()-> pipe -read()-> buffer -write()-> file"
	assert_line --regexp '^mq +4 .*-mq_send\(\)-> queue -mq_receive\(\)-> '
	assert_line --regexp '^mmap +1 '
	assert_line --regexp '^splice +0 .*splice\(\)'
	assert_line --regexp '^ring +2 .*\(lab 10\)$'
	assert_line --regexp '^dd +2 .*dd if=INPUT of=OUTPUT bs=BYTES'
	# every row but the labs' and dd is a copier of lab 12, listed the same there
	local ours
	ours=$(grep -vE '^(dd|shm1|ring|robust|lockfree) ' <<<"$output")
	run -0 "$BIN/12-copy-bench" --methods
	assert_equal "$output" "$ours"
	run -2 "$BIN/bench" --methods in
	assert_usage_error "--methods copies no file: drop 'in'"
}

@test "bench: a method this system lacks is unavailable, not failed: its row says why, exit 0" {
	in=$(input 100000)
	# lab 16 not beside the bench: its row says so
	mkdir "$BATS_TEST_TMPDIR/alone"
	cp "$BIN/bench" "$BIN/12-copy-bench" "$BATS_TEST_TMPDIR/alone/"
	run --separate-stderr -0 "$BATS_TEST_TMPDIR/alone/bench" -d "$BATS_TEST_TMPDIR" -r 1 "$in" rw lockfree
	assert_line --regexp '^rw .* verified$'
	if [ -z "${SHMLAB_VALGRIND:-}" ]; then # there the copy is a script that runs the real one
		assert_line --regexp "^lockfree +2 +1048576 +4 +$DASHES""unavailable: $BATS_TEST_TMPDIR/alone/16-lockfree-ring not built \(make\)\$"
	fi
	# but a copier named on the command line that is not there is a failure
	run -1 bench "$in" "lockfree=$BATS_TEST_TMPDIR/none"
	assert_line --regexp '^lockfree .* MISSING: '
	# and so is lab 12 missing: its copiers are not optional (under valgrind the
	# copy of bench is a script that runs the real one, beside the real lab 12)
	if [ -z "${SHMLAB_VALGRIND:-}" ]; then
		rm "$BATS_TEST_TMPDIR/alone/12-copy-bench"
		run -1 "$BATS_TEST_TMPDIR/alone/bench" -d "$BATS_TEST_TMPDIR" -r 1 "$in" rw
		assert_line --regexp "^rw +2 +1048576 +- +$DASHES""MISSING: $BATS_TEST_TMPDIR/alone/12-copy-bench not built \(make\)\$"
	fi
	# copy_file_range between two file systems: EXDEV since Linux 5.19 (before, the kernel copied)
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt 5 ] || { [ "$major" -eq 5 ] && [ "$minor" -ge 19 ]; } || skip "Linux $(uname -r) copies between file systems"
	shm="/dev/shm/$SHMLAB_IPC_PREFIX.in"
	cp "$in" "$shm"
	[ "$(stat -c %d "$shm")" != "$(stat -c %d "$BATS_TEST_TMPDIR")" ] || { rm -f "$shm"; skip "$BATS_TEST_TMPDIR is on /dev/shm"; }
	run --separate-stderr -0 bench "$shm" cfr sendfile
	rm -f "$shm"
	# glibc says "Invalid cross-device link", musl "Cross-device link"
	why='copy_file_range: (Invalid c|C)ross-device link \(INPUT and OUTPUT are on two file systems it cannot copy between\)'
	assert_line --regexp "^cfr +0 +1048576 +- +$DASHES""unavailable: $why\$"
	assert_line --regexp '^sendfile .* verified$'
	assert_regex "$stderr" "^bench: cfr: unavailable: $why\$"
	# exit 4 means unavailable only from lab 12's copier: from METHOD=PROGRAM it is a failure
	fake=$(fake_copier four 'echo "four: no such thing here" >&2; exit 4')
	run -1 bench "$in" "rw=$fake"
	assert_line --regexp '^rw .* FAILED: exit 4: four: no such thing here$'
}

@test "bench: the FIFO and the System V queue go on SIGINT and SIGTERM too" {
	skip_under_valgrind "64 MiB through 8 KiB messages"
	in=$(input $((64 * 1048576)))
	interrupt_midrun INT 0.5 "$BIN/bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" fifo msg
	interrupt_midrun TERM 0.5 "$BIN/bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" msg fifo
	assert_equal "$(leaked_queues)" ""
}

@test "bench: a line: copies, chunk, slots, then medians of wall time (and its min-max), MB/s, CPU, RSS, switches" {
	run --separate-stderr -0 bench -b 65536 -s 2 "$(input)" rw pipe shm1 ring
	assert_line --index 1 --regexp "^rw +2 +65536 +- +$NUM +$RANGE +$NUM +$NUM +[0-9]+ +[0-9]+ +[0-9]+ verified\$"
	assert_line --index 2 --regexp "^pipe +4 +65536 +- +$NUM +$RANGE +$NUM +$NUM +[0-9]+ +[0-9]+ +[0-9]+ verified\$"
	assert_line --index 3 --regexp '^shm1 +2 +65536 +- +'
	assert_line --index 4 --regexp '^ring +2 +65536 +2 +'
	assert_equal "${#lines[@]}" 5
	# what the copiers print (09 and 10 say what they sent) is theirs, not the table's
	assert_equal "$stderr" ""
	# min <= median <= max, over 3 runs
	run -0 bench -r 3 "$(input)" rw
	read -r _ _ _ _ med range _ <<<"${lines[1]}"
	awk -v m="$med" -v r="$range" 'BEGIN { split(r, x, "-"); exit !(x[1] <= m + 0.05 && m <= x[2] + 0.05 && x[1] <= x[2]) }' ||
		fail "median $med outside its min-max $range"
}

@test "bench: INPUT is copied as it is, and left as it was" {
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
	cp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -0 "$BIN/bench" -d "$BATS_TEST_TMPDIR" -r 2 "$BATS_TEST_TMPDIR/data" rw pipe
	run -0 row pipe
	assert_output --regexp ' verified$'
	cmp "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/data.orig"
	run -1 "$BIN/bench" -d "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/nothing"
	assert_output "bench: $BATS_TEST_TMPDIR/nothing: No such file or directory"
	run -1 "$BIN/bench" -d "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR"
	assert_output "bench: $BATS_TEST_TMPDIR: not a regular file"
	run -1 "$BIN/bench" -r 1 -d "$BATS_TEST_TMPDIR/no/such/dir" "$BATS_TEST_TMPDIR/data" rw
	assert_output --regexp "^bench: mkdtemp $BATS_TEST_TMPDIR/no/such/dir/shmlab-bench.XXXXXX: No such file or directory\$"
}

@test "bench: a fast wrong copy is a failure: WRONG, exit 1, the others still verified" {
	head -c 1048576 /dev/zero >"$BATS_TEST_TMPDIR/zeros"
	fake=$(fake_copier wrong 'cp "$in" "$out" && printf X | dd of="$out" bs=1 seek=1000 conv=notrunc 2>/dev/null')
	run --separate-stderr -1 bench "$BATS_TEST_TMPDIR/zeros" rw pipe "shm1=$fake"
	run -0 row shm1
	assert_output --regexp "^shm1 +2 +1048576 +- +$DASHES""WRONG: output differs from input at byte 1000\$"
	run -1 bench "$BATS_TEST_TMPDIR/zeros" rw pipe "shm1=$fake"
	assert_line "bench: shm1 (chunk 1048576, 1 slots): output differs from input at byte 1000"
	assert_line --regexp '^rw .* verified$'
	assert_line --regexp '^pipe .* verified$'
	# short by one byte
	fake=$(fake_copier short 'head -c 1048575 "$in" >"$out"')
	run -1 bench "$(input)" rw "ring=$fake"
	assert_line --regexp ' WRONG: output has 1048575 bytes, input 1048576$'
}

@test "bench: a copier that fails, dies or is missing is reported, exit 1" {
	in=$(input)
	fake=$(fake_copier fails 'echo "fails: cannot copy $in" >&2; exit 3')
	run -1 bench "$in" pipe "shm1=$fake"
	assert_line --regexp "^shm1 .* FAILED: exit 3: fails: cannot copy $in\$"
	assert_line "bench: shm1 (chunk 1048576, 1 slots): exit 3: fails: cannot copy $in"
	fake=$(fake_copier dies 'kill -KILL $$')
	run -1 bench "$in" "rw=$fake"
	assert_line --regexp '^rw .* FAILED: killed by signal 9 \(Killed\)$'
	run -1 bench "$in" rw "ring=$BATS_TEST_TMPDIR/no-such-copier"
	assert_line --regexp "^ring +2 +1048576 +4 +$DASHES""MISSING: $BATS_TEST_TMPDIR/no-such-copier not built \(make\)\$"
	assert_line --regexp '^rw .* verified$'
	assert_line "bench: ring: $BATS_TEST_TMPDIR/no-such-copier not built (make)"
	# the same method twice: two programs compared, each called as the method's
	run -0 bench "$in" rw "rw=$BIN/12-copy-bench"
	assert_equal "$(grep -c ' verified$' <<<"$output")" 2
	spy=$(fake_copier spy 'echo "$*" >>"$(dirname "$0")/args"; cp "$in" "$out"')
	run -0 bench -b 4096 -s 3 "$in" "rw=$spy" "ring=$spy"
	assert_equal "$(sed 's:/[^ ]*/::g' "$BATS_TEST_TMPDIR/args" | sort -u)" "$(printf '%s\n' 'copy -b 4096 -s 3 in output' 'rw -b 4096 in output')"
}

@test "bench: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/bench" -b 0 in
	assert_usage_error "BYTES '0' is out of range"
	run -2 "$BIN/bench" -r abc in
	assert_usage_error "RUNS 'abc' is not a number"
	run -2 "$BIN/bench" -r 0 in
	assert_usage_error "RUNS '0' is out of range"
	run -2 "$BIN/bench" -s 1025 in
	assert_usage_error "SLOTS '1025' is out of range"
	run -2 "$BIN/bench" -s -1 in
	assert_usage_error "SLOTS '-1' is out of range"
	run -2 "$BIN/bench" in -r
	assert_usage_error "option -r needs a value"
	run -2 "$BIN/bench" -x in
	assert_usage_error "unknown option '-x'"
	run -2 "$BIN/bench" --sweep in
	assert_usage_error "unknown option '--sweep'"
	run -2 "$BIN/bench" --latency
	assert_usage_error "unknown option '--latency'"
	run -2 "$BIN/bench" in rw cat
	assert_usage_error "unknown method 'cat' (${ALL// /, })"
	run -2 "$BIN/bench" in shm1=
	assert_usage_error "METHOD=PROGRAM wants a program, not 'shm1='"
	local many
	read -ra many <<<"$(printf 'rw %.0s' {1..25})"
	run -2 "$BIN/bench" in "${many[@]}"
	assert_usage_error "more than 24 METHODs"
	run -2 "$BIN/bench"
	assert_usage_error "missing INPUT"
}

@test "bench: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/bench" -h
	assert_line --index 0 "usage: bench [-b BYTES] [-s SLOTS] [-r RUNS] [-d DIR] INPUT [METHOD[=PROGRAM]...]"
	assert_line --index 1 "       bench --methods"
	assert_equal "${#lines[@]}" 2
	assert_equal "$stderr" ""
}

@test "bench: the outputs go to a directory of their own in -d DIR, else \$TMPDIR, mode 0700, and go away" {
	# a copier that notes the paths it was given and the mode of OUTPUT's directory, then copies right
	spy=$(fake_copier spy 'echo "$in $out $(stat -c %a "$(dirname "$out")")" >>"$(dirname "$0")/seen"; cp "$in" "$out"')
	mkdir "$BATS_TEST_TMPDIR/d"
	in=$(input)
	run -0 "$BIN/bench" -d "$BATS_TEST_TMPDIR/d" -r 2 "$in" "rw=$spy"
	run -0 "$BIN/bench" -r 1 "$in" "rw=$spy" # TMPDIR is the test's directory
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

@test "bench: another user who plants a FIFO, a file or a symlink at its names in a shared directory gets nothing" {
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
		timeout $((60 * SLOW)) "$BIN/bench" -d "$share" -r 20 "$secret" rw pipe shm1 \
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

@test "bench: SIGINT and SIGTERM mid-run stop the copier too and leave nothing" {
	in=$(input $((64 * 1048576)))
	interrupt_midrun INT 0.5 "$BIN/bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" pipe ring
	interrupt_midrun TERM 0.5 "$BIN/bench" -d "$BATS_TEST_TMPDIR" -r 50 "$in" shm1 ring
	# the copiers of 09 and 10 (other programs) are given the signal and stop too
	assert_no_process "$BATS_TEST_TMPDIR/shmlab-bench" "after the signals"
}
