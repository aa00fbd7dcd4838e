#!/usr/bin/env bash
# storm.sh - signals at random moments: every lab family, a random signal after
# a random delay, and nothing may be left.
#
#   tests/storm.sh [-n RUNS] [-s SEED] [-b BIN] [-o SCENARIO] [-j JOBS] [-v]
#
# Each run starts one scenario (a lab, or a server and its client) with
# arguments that keep it busy for seconds, waits a random 0 to 1.2 s, sends one
# process of it a random signal, and checks:
#   - that process dies of the signal: the ones every lab handles (SIGINT,
#     SIGTERM, SIGHUP, SIGPIPE: cleanup, then the signal again) and the fatal
#     ones (SIGBUS, SIGSEGV, SIGABRT), as common/cleanup.c promises; or exits 1
#     where that is the documented answer (a SIGBUS after sigbus_means, in the
#     copiers and lab 12), or goes on where SIGPIPE is ignored on purpose (the
#     copiers' OUTPUT side: it is then stopped with SIGTERM, which must work);
#   - its peers end by themselves, 0 or 1 (a copy that exits 0 is complete);
#   - no process of its session is left, nothing under the run's prefix in
#     /dev/shm, no System V object, no file in its TMPDIR but its own.
# SIGKILL runs too: no handler runs, and the only leftovers allowed are the ones
# the scenario names (LEFT9 below), each reported as it is found.
#
# Each run has a seed of its own: a failing run prints it with the command,
# the signal, the delay and what was wrong, and the line that runs it again
# (`tests/storm.sh -n 1 -s SEED`; -v prints every run). The storm runs in a
# System V IPC namespace of its own when `unshare -i` is allowed (root), so
# that another user's objects are never taken for ours; either way the objects
# of our uid that are new after a run count. Exit 1 if any run failed. SLOW
# (as in tests/helper.bash) scales the waits.
#
# -j JOBS runs JOBS storms side by side, RUNS shared among them, each in its
# own IPC namespace, under a prefix and in a directory of its own (the seeds
# follow on, so each run's seed is what it would be with -j 1): a run is mostly
# waiting for a signal's moment and a death. Without a namespace of our own
# (not root), the storms could take each other's System V objects for theirs:
# then the runs go one after another.
# shellcheck disable=SC2034 # the arrays are read through pick's nameref
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
runs=30 seed=$(((RANDOM << 15) | RANDOM)) bin=${SHMLAB_BIN:-bin} verbose=0 jobs=1
only=''
while getopts n:s:b:o:j:v opt; do
	case $opt in
	n) runs=$OPTARG ;;
	s) seed=$OPTARG ;;
	b) bin=$OPTARG ;;
	o) only=$OPTARG ;; # one scenario (sc_NAME below) every run: -s then draws the rest
	j) jobs=$OPTARG ;;
	v) verbose=1 ;; # a line for every run, not only the failures
	*) echo "usage: tests/storm.sh [-n RUNS] [-s SEED] [-b BIN] [-o SCENARIO] [-j JOBS] [-v]" >&2; exit 2 ;;
	esac
done
[[ $bin == /* ]] || bin="$root/$bin"
if [ -n "${SHMLAB_VALGRIND:-}" ]; then SLOW=${SLOW:-50}; elif [ -n "${SHMLAB_SANITIZED:-}" ]; then SLOW=${SLOW:-10}; else SLOW=${SLOW:-1}; fi
export SLOW
ulimit -c 0 # SIGSEGV, SIGBUS and SIGABRT would leave a core file

SIGNALS=(INT TERM HUP PIPE BUS SEGV ABRT KILL)

# ---- the scenarios: each sets up its files in $W and starts its processes
# with launch; VICTIMS are the tags that may get the signal; LEFT9 the
# leftovers a SIGKILL may leave (glob patterns over the labels of leftovers:
# shm:NAME, file:NAME, sysv:shm|msg|sem, proc:PROGRAM); SIGBUS1 is set when
# the lab answers SIGBUS with exit 1; PIPE_IGNORED lists the tags that ignore
# SIGPIPE on purpose; KEEP the files in $W that are the scenario's own.

SCENARIOS=(counter counter_f counter14c litmus robust_lock
	posix_server sysv_rmid sysv_read mmap_file
	copier copier_copy pingpong bench copier12 memfd)

big_input() { truncate -s "$((256 * 1024 * 1024))" "$W/big"; KEEP+=" big"; }

# A FIFO fed forever, 64 KiB every 20 ms, by a process of ours (stopped by pid).
trickle() {
	mkfifo "$W/fifo"
	head -c 65536 /dev/urandom >"$W/chunk"
	KEEP+=" fifo chunk"
	(trap - PIPE; while cat "$W/chunk" 2>/dev/null; do sleep 0.02; done) >"$W/fifo" &
	helpers+=($!)
}

# pick VAR ARRAY: a random element of ARRAY into VAR (no subshell: the runs
# must draw the same numbers from the same seed)
pick() {
	local -n _into=$1 _from=$2
	_into=${_from[RANDOM % ${#_from[@]}]}
}

sc_counter() {
	local labs=(01-fork-counter 02-shared-race 03-named-semaphore 04-semaphore-in-shm
		05-anonymous-shm 14-atomic-counter 15-memory-order)
	local lab
	pick lab labs
	what="$lab -q 1000000000"
	launch main "$bin/$lab" -q 1000000000
	VICTIMS=(main) LEFT9="proc:${lab:0:15} file:shmlab-* shm:03-mutex"
}

sc_counter_f() {
	local labs=(02-shared-race 03-named-semaphore 04-semaphore-in-shm) lab
	pick lab labs
	what="$lab -q -f W/counter 1000000000"
	launch main "$bin/$lab" -q -f "$W/counter" 1000000000
	KEEP+=" counter"
	VICTIMS=(main) LEFT9="proc:${lab:0:15} shm:03-mutex"
}

sc_counter14c() {
	what="14-atomic-counter --compare 100000000"
	launch main "$bin/14-atomic-counter" -q --compare 100000000
	VICTIMS=(main) LEFT9="proc:14-atomic-cou* file:shmlab-* shm:14-*"
}

sc_litmus() {
	what="15-memory-order --litmus 1000000000"
	launch main "$bin/15-memory-order" --litmus 1000000000
	VICTIMS=(main) LEFT9="proc:15-memory-ord* file:shmlab-*"
}

sc_robust_lock() {
	local modes=(sem mutex) mode
	pick mode modes
	what="13-robust-lock -t 5 $mode"
	launch main "$bin/13-robust-lock" -t 5 "$mode"
	VICTIMS=(main) LEFT9="proc:13-robust-loc* file:shmlab-* shm:13-*"
}

sc_posix_server() {
	what="07-posix-shm server -c 1 -t 5 st & client -t 5 st 30000000"
	launch server "$bin/07-posix-shm" server -c 1 -t 5 st
	launch client "$bin/07-posix-shm" client -t 5 st 30000000
	# the server only: a client killed before it took a slot was never one of its
	# clients, and the server rightly goes on waiting for one. A client killed
	# mid-count is 07's own test ("a client killed mid-count ...").
	VICTIMS=(server) LEFT9="shm:st" SIGBUS1=1
}

sc_sysv_rmid() {
	what="08-sysv-shm rmid -w 5"
	launch main "$bin/08-sysv-shm" rmid -w 5
	VICTIMS=(main) LEFT9="sysv:shm"
}

sc_sysv_read() {
	local size=$((4096 + RANDOM))
	{ "$bin/08-sysv-shm" create -k "$W" "$size" && "$bin/08-sysv-shm" write -k "$W"; } >/dev/null 2>&1 ||
		{ echo "storm: 08 create or write failed"; return 1; }
	what="08-sysv-shm create -k W $size; write -k W; read -k W -w 5 (the segment then removed)"
	launch main "$bin/08-sysv-shm" read -k "$W" -w 5
	teardown_cmd=("$bin/08-sysv-shm" remove -k "$W")
	VICTIMS=(main) LEFT9=""
}

sc_mmap_file() {
	local subs=(shared private) sub
	pick sub subs
	if ((RANDOM % 2)); then
		echo "some text" >"$W/file"
		KEEP+=" file"
		what="06-mmap-file $sub -w 5 W/file hello"
		launch main "$bin/06-mmap-file" "$sub" -w 5 "$W/file" hello
	else
		what="06-mmap-file $sub -w 5 hello"
		launch main "$bin/06-mmap-file" "$sub" -w 5 hello
	fi
	VICTIMS=(main) LEFT9="file:shmlab-*" SIGBUS1=1
}

# A copier's server and client (in a random order), from a sparse 256 MiB file
# to /dev/null or from a FIFO that never ends to a file.
sc_copier() {
	local labs=(09-shm-copy 10-shm-ring-copy 11-robust-copy 16-lockfree-ring) lab in out
	pick lab labs
	if ((RANDOM % 2)); then big_input; in=$W/big out=/dev/null; else trickle; in=$W/fifo out=$W/out; fi
	what="$lab server -t 2 -n c ${in#"$W"/} & $lab client -t 2 -n c ${out#"$W"/}"
	if ((RANDOM % 2)); then
		launch server "$bin/$lab" server -t 2 -n c "$in"
		launch client "$bin/$lab" client -t 2 -n c "$out"
	else
		what="(client first) $what"
		launch client "$bin/$lab" client -t 2 -n c "$out"
		launch server "$bin/$lab" server -t 2 -n c "$in"
	fi
	KEEP+=" out"
	VICTIMS=(server client) LEFT9="shm:c file:shmlab-copy.*" SIGBUS1=1 PIPE_IGNORED="client"
}

sc_copier_copy() {
	local labs=(09-shm-copy 10-shm-ring-copy 11-robust-copy 16-lockfree-ring) lab in out
	pick lab labs
	if ((RANDOM % 2)); then big_input; in=$W/big out=/dev/null; else trickle; in=$W/fifo out=$W/out; fi
	what="$lab copy -t 2 ${in#"$W"/} ${out#"$W"/}"
	launch main "$bin/$lab" copy -t 2 "$in" "$out"
	KEEP+=" out"
	VICTIMS=(main) LEFT9="shm:copy-* file:shmlab-copy.* proc:${lab:0:15}" SIGBUS1=1 PIPE_IGNORED="main"
}

sc_pingpong() {
	what="16-lockfree-ring pingpong -c 10000000"
	launch main "$bin/16-lockfree-ring" pingpong -c 10000000
	VICTIMS=(main) LEFT9="shm:* proc:16-lockfree-rin* file:shmlab-*" SIGBUS1=1
}

sc_bench() {
	local methods
	mapfile -t methods < <("$bin/bench" --methods | awk 'NR > 1 { print $1 }')
	local m
	pick m methods
	head -c $((32 * 1024 * 1024)) /dev/zero >"$W/in"
	KEEP+=" in"
	what="bench -r 50 -d W in $m"
	launch main "$bin/bench" -r 50 -d "$W" "$W/in" "$m"
	VICTIMS=(main) LEFT9="shm:* file:shmlab-* sysv:msg sysv:shm proc:*" SIGBUS1=1 PIPE_IGNORED="main"
}

sc_copier12() { # one of lab 12's copiers alone, with small chunks so that it lasts
	local methods m
	mapfile -t methods < <("$bin/12-copy-bench" --methods | awk 'NR > 1 { print $1 }')
	pick m methods
	head -c $((32 * 1024 * 1024)) /dev/zero >"$W/in"
	KEEP+=" in out"
	what="12-copy-bench $m -b 4096 W/in W/out"
	launch main "$bin/12-copy-bench" "$m" -b 4096 "$W/in" "$W/out"
	VICTIMS=(main) LEFT9="shm:* file:shmlab-* sysv:msg proc:12-copy-bench" SIGBUS1=1 PIPE_IGNORED="main"
}

sc_memfd() {
	head -c $((64 * 1024 * 1024)) /dev/zero >"$W/in"
	KEEP+=" in"
	what="17-memfd-seal serve -t 3 in & get -t 3 /dev/null"
	launch server "$bin/17-memfd-seal" serve -t 3 "$W/in"
	launch client "$bin/17-memfd-seal" get -t 3 /dev/null
	VICTIMS=(server client) LEFT9="file:*.memfd proc:17-memfd-seal" # its socket's directory
}

# ---- one run ----

declare -A pids
helpers=()

# launch TAG COMMAND...: in a session of its own (so that what it forks can be
# found afterwards), output to $W/TAG.out; its pid in pids[TAG].
launch() {
	local tag=$1
	shift
	setsid "$@" </dev/null >"$W/$tag.out" 2>&1 &
	pids[$tag]=$!
	KEEP+=" $tag.out"
}

gone() { # gone PID: it has exited (a zombie not yet waited for counts)
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -z "$state" ] || [ "$state" = Z ]
}

# wait_gone PID SECONDS: poll until it has exited; status 1 if it has not.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10 * SLOW; i++)); do
		gone "$1" && return 0
		sleep 0.1
	done
	return 1
}

sysv_list() { # our uid's System V objects, one "kind id" a line
	local uid
	uid=$(id -u)
	awk -v uid="$uid" 'FNR > 1 && $8 == uid { print "shm", $2 }' /proc/sysvipc/shm
	awk -v uid="$uid" 'FNR > 1 && $8 == uid { print "msg", $2 }' /proc/sysvipc/msg 2>/dev/null
	awk -v uid="$uid" 'FNR > 1 && $5 == uid { print "sem", $2 }' /proc/sysvipc/sem 2>/dev/null
}

# one_run SEED INDEX: prints "ok ..." or "FAIL ..." lines; status 1 on failure.
one_run() {
	RANDOM=$1
	local index=$2 scenario sig delay_ms victim vpid status fails=() tag p left=() label f
	local what='' VICTIMS=() LEFT9='' SIGBUS1='' PIPE_IGNORED='' KEEP='' i
	local teardown_cmd=()
	pick scenario SCENARIOS
	scenario=${only:-$scenario}
	pick sig SIGNALS
	delay_ms=$(( (RANDOM % 2 ? RANDOM % 100 : RANDOM % 1200) * (SLOW > 5 ? 5 : SLOW) ))
	W=$(mktemp -d "${STORM_DIR}/run.XXXXXX") || return 1
	# short: lab 17's socket is TMPDIR/PREFIX.NAME/socket, and a Unix socket's
	# path has room for 107 bytes (with a soak's tag and -j, -$RANDOM here went over)
	export TMPDIR=$W SHMLAB_IPC_PREFIX="$base_prefix-$index"
	local before
	before=$(sysv_list)
	"sc_$scenario" || { rm -rf "$W"; return 1; }
	pick victim VICTIMS
	vpid=${pids[$victim]}
	sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
	local late=''
	if gone "$vpid"; then
		late=1
	else
		kill -s "$sig" "$vpid" 2>/dev/null
	fi
	if ! wait_gone "$vpid" 5; then
		if [ "$sig" = PIPE ] && [[ " $PIPE_IGNORED " == *" $victim "* ]]; then
			kill -s TERM "$vpid" # ignored on purpose: then SIGTERM must stop it cleanly
			sig=PIPE,TERM
			wait_gone "$vpid" 5 || fails+=("the $victim still ran $((5 * SLOW)) s after SIGTERM")
		else
			fails+=("the $victim still ran $((5 * SLOW)) s after SIG$sig")
		fi
	fi
	kill -0 "$vpid" 2>/dev/null && kill -9 "$vpid"
	status=0
	{ wait "$vpid" || status=$?; } 2>/dev/null # no "Killed" from bash
	local want=$((128 + $(kill -l "${sig##*,}")))
	if [ -n "$late" ] || [ "$status" -eq 0 ]; then
		# it had finished, or was on its way out when the signal came (each
		# scenario runs for seconds: one that ignored the signal is caught above)
		[ "$status" -eq 0 ] ||
			fails+=("the $victim ended (exit $status) before the signal came: $(tail -n 1 "$W/$victim.out" 2>/dev/null)")
		late=1
	elif [ "$status" -ne "$want" ] && ! { [ "$sig" = BUS ] && [ -n "$SIGBUS1" ] && [ "$status" -eq 1 ]; }; then
		fails+=("the $victim exited $status after SIG$sig (want $want): $(tail -n 2 "$W/$victim.out" | tr '\n' ' ')")
	fi
	# the peers end by themselves: 0 (a complete copy) or 1
	for tag in "${!pids[@]}"; do
		[ "$tag" = "$victim" ] && continue
		p=${pids[$tag]}
		if ! wait_gone "$p" 12; then
			fails+=("the $tag still ran $((12 * SLOW)) s after its peer got SIG$sig")
			kill -9 "$p" 2>/dev/null
		fi
		status=0
		{ wait "$p" || status=$?; } 2>/dev/null
		if [ "$status" -ne 0 ] && [ "$status" -ne 1 ]; then
			fails+=("the $tag exited $status after its peer got SIG$sig: $(tail -n 2 "$W/$tag.out" | tr '\n' ' ')")
		elif [ "$status" -eq 0 ] && [ -e "$W/fifo" ]; then
			fails+=("the $tag exited 0 although its input never ended")
		fi
	done
	for p in "${helpers[@]}"; do kill "$p" 2>/dev/null; { wait "$p"; } 2>/dev/null; done
	helpers=()
	# what is left: processes of the sessions (given 3 s to go), names, files,
	# System V objects
	local sids
	sids=$(IFS=,; echo "${pids[*]}")
	for ((i = 0; i < 30 * SLOW; i++)); do
		pgrep -s "$sids" >/dev/null || break
		sleep 0.1
	done
	for tag in "${!pids[@]}"; do
		for p in $(pgrep -s "${pids[$tag]}"); do
			left+=("proc:$(cat "/proc/$p/comm" 2>/dev/null)")
			kill -9 "$p" 2>/dev/null
		done
	done
	((${#teardown_cmd[@]})) && "${teardown_cmd[@]}" >/dev/null 2>&1
	for f in /dev/shm/"$SHMLAB_IPC_PREFIX".* /dev/shm/sem."$SHMLAB_IPC_PREFIX".*; do
		[ -e "$f" ] || continue
		left+=("shm:${f##*"$SHMLAB_IPC_PREFIX".}")
		rm -f "$f"
	done
	for f in "$W"/* "$W"/.[!.]*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		[[ " $KEEP " == *" ${f##*/} "* ]] && continue
		left+=("file:${f##*/}")
	done
	while read -r kind id; do
		[ -n "$kind" ] || continue
		grep -qx "$kind $id" <<<"$before" && continue
		left+=("sysv:$kind")
		ipcrm "-${kind:0:1}" "$id" 2>/dev/null
	done < <(sysv_list)
	for label in "${left[@]}"; do
		if [ "$sig" = KILL ] && [ -z "$late" ] && matches_any "$label" "$LEFT9"; then
			echo "storm:   SIGKILL left $label (allowed: what kill -9 of $what can leave)"
		else
			fails+=("left behind: $label")
		fi
	done
	rm -rf "$W"
	local line="seed $1: $what; SIG$sig to the $victim after $delay_ms ms${late:+ (it had already ended)}"
	if ((${#fails[@]})); then
		echo "storm: FAIL $line"
		printf 'storm:   %s\n' "${fails[@]}"
		echo "storm:   rerun: tests/storm.sh -n 1 -s $1 -b $bin${only:+ -o $only}"
		return 1
	fi
	[ "$verbose" -eq 0 ] || echo "storm: ok   $line"
	return 0
}

matches_any() { # matches_any LABEL "PATTERN..."
	local pat
	for pat in $2; do
		# shellcheck disable=SC2053 # a glob on purpose
		[[ $1 == $pat ]] && return 0
	done
	return 1
}

for v in "$runs" "$jobs" "$seed"; do # a seed drawn above goes up to 2^30 - 1, ten digits
	[[ $v =~ ^[0-9]{1,9}$ || ($v == "$seed" && $v =~ ^[0-9]{1,15}$) ]] ||
		{ echo "storm: -n, -j and -s take whole numbers, not '$v'" >&2; exit 2; }
done
[ "$jobs" -ge 1 ] || { echo "storm: -j takes 1 or more" >&2; exit 2; }
[ "$jobs" -le "$runs" ] || jobs=$((runs > 0 ? runs : 1))
[ "$jobs" -eq 1 ] || unshare -i true 2>/dev/null || jobs=1
verbose_flag=()
[ "$verbose" -eq 0 ] || verbose_flag=(-v)

# -j: JOBS storms of this script, each with its share of the runs and seeds.
if [ "$jobs" -gt 1 ]; then
	out=$(mktemp -d "${TMPDIR:-/tmp}/storm.XXXXXX") || exit 1
	trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$out"' EXIT
	echo "storm: $runs runs, seed $seed, $jobs storms at once (rerun one: tests/storm.sh -n 1 -s SEED)"
	first=0 failed=0
	for ((w = 0; w < jobs; w++)); do
		n=$(((runs - first) / (jobs - w)))
		SHMLAB_IPC_PREFIX="${SHMLAB_IPC_PREFIX:-shmlabstorm-$$}$w" "$0" -j 1 -n "$n" -s "$((seed + first))" \
			-b "$bin" ${only:+-o "$only"} "${verbose_flag[@]}" >"$out/$w" 2>&1 &
		first=$((first + n))
	done
	wait
	for ((w = 0; w < jobs; w++)); do
		sed '1d;$d' "$out/$w" # each one's failures (and with -v its runs), not its own header and total
		f=$(sed -n 's/^storm: [0-9]* runs, \([0-9]*\) failed$/\1/p' "$out/$w")
		failed=$((failed + ${f:-1})) # no total: that storm itself failed
		[ -n "$f" ] || echo "storm: storm $w of $jobs ended without its total: $(tail -n 1 "$out/$w")"
	done
	echo "storm: $runs runs, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

# One System V IPC namespace for the whole storm when we may make one: then no
# other user's (or other test's) object can be taken for ours.
if [ -z "${STORM_IPCNS:-}" ] && unshare -i true 2>/dev/null; then
	STORM_IPCNS=1 exec unshare -i "$0" "$@"
fi
base_prefix=${SHMLAB_IPC_PREFIX:-shmlabstorm-$$} # under the test's own, in storm.bats
STORM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/storm.XXXXXX") || exit 1
trap 'rm -rf "$STORM_DIR"' EXIT
failed=0
echo "storm: $runs runs, seed $seed (rerun one: tests/storm.sh -n 1 -s SEED)"
for ((i = 0; i < runs; i++)); do
	pids=()
	s=$((seed + i))
	# (bash's own word on each killed job, "line N: PID Killed setsid ...", is not ours)
	one_run "$s" "$i" 2> >(grep -v '^.*: line [0-9]*: *[0-9]* .* setsid "\$@"' >&2) || failed=$((failed + 1))
done
echo "storm: $runs runs, $failed failed"
[ "$failed" -eq 0 ]
