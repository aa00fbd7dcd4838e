#!/usr/bin/env bash
# soak.sh - the suite again and again, as on a busy shared lab server.
#
#   tests/soak.sh [-n RUNS] [-H HOGS] [-u NAME] [-o DIR] [FILE.bats...]
#
#   -n RUNS  runs in a row (default 20)
#   -H HOGS  CPU-bound processes (`while :; do :; done`) running beside every run
#            (default 0)
#   -u NAME  as root only: create the user NAME (nobody may have the name yet), give
#            it a copy of this tree as a clone has it (no build/ or bin/), which it
#            builds with make, and in every run start the suite as NAME too, at the
#            same moment: two users on one server. The user, its home and anything it
#            left are removed at the end.
#   -o DIR   the logs: DIR/run-I.log, and DIR/run-I-NAME.log and DIR/make-NAME.log
#            for the user (default build/soak)
#   FILE     the test files (default tests/*.bats)
#
# A run is green when every suite in it passed and none left anything behind that was
# not there before: no shmlab object in /dev/shm, no System V segment nobody attaches
# whose creator is gone, no shmlab or bats file in the temp directory. The suites' test
# prefixes carry this soak's tag (SHMLAB_SOAK_TAG), so what another suite running on the
# server at the same time has in /dev/shm is not taken for ours. One line per run, then
# the total:
#
#   $ tests/soak.sh -n 3 -H 2 -u shmsoak
#   soak: 3 runs, 2 CPU hogs beside each, users root and shmsoak at once
#   soak run 1 of 3: green in 21 min 4 s, load 5.12: root 381 passed, 0 failed, 1 skipped; shmsoak 373 passed, 0 failed, 9 skipped
#   ...
#   soak: 3 of 3 runs green (logs in build/soak/)
#
# `make soak [SOAK=20] [HOGS=N] [SOAK_USER=NAME]` runs it on bin/. Exit 0 when every
# run was green, 1 when one was not or the soak could not run, 2 for a usage error.
# Ctrl-C, SIGTERM, SIGHUP or SIGPIPE stops the suites and the hogs, removes the user,
# and the soak then dies of that signal.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
top=$PWD

me=soak
usage="usage: $me [-n RUNS] [-H HOGS] [-u NAME] [-o DIR] [FILE.bats...]"
runs=20 hogs=0 user='' dir=build/soak

die_usage() { printf '%s: %s\n%s\n' "$me" "$1" "$usage" >&2; exit 2; }
die() { printf '%s: %s\n' "$me" "$1" >&2; exit 1; }
# A line of the report; a reader that went away (| head) is SIGPIPE's to handle.
say() { printf '%s\n' "$1" 2>/dev/null; }

count() { # NAME VALUE MIN: a decimal count of at least MIN
	if ! [[ $2 =~ ^[0-9]{1,6}$ ]] || [ "$((10#$2))" -lt "$3" ]; then
		die_usage "$1 must be a whole number from $3 to 999999, not '$2'"
	fi
}

while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) echo "$usage"; exit 0 ;;
	-n | -H | -u | -o)
		if [ $# -lt 2 ] || [ -z "$2" ]; then die_usage "option $1 needs a value"; fi
		case $1 in
		-n) count RUNS "$2" 1; runs=$((10#$2)) ;;
		-H) count HOGS "$2" 0; hogs=$((10#$2)) ;;
		-u) user=$2 ;;
		-o) dir=$2 ;;
		esac
		shift 2
		;;
	--) shift; break ;;
	-*) die_usage "unknown option '$1'" ;;
	*) break ;;
	esac
done

files=()
for f in "$@"; do
	f=${f#"$top"/}
	[ -f "$f" ] || die_usage "no test file '$f'"
	# the user runs its own copy of the tree: the file must be inside it
	[ -z "$user" ] || [[ $f != /* && $f != *..* ]] || die_usage "'$f' is outside this tree"
	files+=("$f")
done

if [ -n "$user" ]; then
	[[ $user =~ ^[a-z_][a-z0-9_-]{0,30}$ ]] ||
		die_usage "user name '$user' is invalid (lower-case letters, digits, '_', '-'; 1 to 31)"
	[ "$(id -u)" = 0 ] || die "-u needs root: it creates the user $user and removes it"
	for tool in useradd userdel runuser; do
		command -v "$tool" >/dev/null || die "-u needs useradd, userdel and runuser: $tool is missing"
	done
	getent passwd "$user" >/dev/null &&
		die "user $user exists: -u makes a throwaway user and removes it after; pick a name nobody has"
fi

mkdir -p "$dir" || die "cannot make the log directory $dir"
rm -f "$dir"/run-*.log "$dir"/make-*.log

hog_pids=() suite_pids=() made_user='' user_home='' user_uid=''

cleanup() {
	local pid i
	for pid in "${hog_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	for pid in "${hog_pids[@]}"; do wait "$pid" 2>/dev/null; done
	if [ -n "$made_user" ]; then
		pkill -KILL -u "$user_uid" 2>/dev/null # userdel refuses a user with processes
		for ((i = 0; i < 50; i++)); do pgrep -u "$user_uid" >/dev/null || break; sleep 0.1; done
		# what the user's processes left, so a killed run leaves no orphan objects
		find /dev/shm /tmp -maxdepth 1 -user "$user_uid" -exec rm -rf -- {} + 2>/dev/null
		ipcs -m 2>/dev/null | awk -v u="$user" '$3 == u { print $2 }' | xargs -r -n 1 ipcrm -m 2>/dev/null
		ipcs -s 2>/dev/null | awk -v u="$user" '$3 == u { print $2 }' | xargs -r -n 1 ipcrm -s 2>/dev/null
		userdel -r "$user" 2>/dev/null
		if getent passwd "$user" >/dev/null; then
			printf '%s: could not remove the user %s: userdel -r %s\n' "$me" "$user" "$user" >&2
		fi
	fi
}
trap cleanup EXIT

# Does process group G have a process that is not a zombie?
group_alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { n++ } END { exit !n }'; }
# Stop the running suites, every process in their groups: SIGINT first, so bats runs
# its teardowns, then SIGKILL to what is left after 20 s.
stop_suites() {
	local pid i alive
	for pid in "${suite_pids[@]}"; do kill -INT -- "-$pid" 2>/dev/null; done
	for ((i = 0; i < 100; i++)); do
		alive=''
		for pid in "${suite_pids[@]}"; do group_alive "$pid" && alive=1; done
		[ -n "$alive" ] || break
		sleep 0.2
	done
	for pid in "${suite_pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
	for pid in "${suite_pids[@]}"; do wait "$pid" 2>/dev/null; done
	suite_pids=()
}
# A signal stops everything, then ends the soak by that signal, as it would have.
on_signal() {
	trap '' INT TERM HUP PIPE
	printf '%s: stopped by SIG%s: suites and hogs stopped%s\n' "$me" "$1" \
		"${made_user:+, user $user removed}" >&2
	stop_suites
	cleanup
	trap - EXIT "$1"
	kill -s "$1" "$$"
	exit 1 # not reached
}
for sig in INT TERM HUP PIPE; do
	# shellcheck disable=SC2064 # the signal's name is meant to be expanded now
	trap "on_signal $sig" "$sig"
done

# What UID has left that a run should not leave: shmlab objects in /dev/shm (but not
# another suite's, whose test prefix lacks our tag), its System V segments nobody
# attaches and whose creator is gone, shmlab and bats files in the temp directory TMP.
export SHMLAB_SOAK_TAG=soak$$
leftovers() { # UID TMP
	find /dev/shm -maxdepth 1 -user "$1" -name '*shmlab*' \
		\( -name "*shmlabtest-$SHMLAB_SOAK_TAG-*" -o ! -name '*shmlabtest-*' \) -printf '/dev/shm/%f\n' 2>/dev/null
	find "$2" -maxdepth 1 -user "$1" \( -name 'shmlab*' -o -name 'bats-run-*' \) -printf '%p\n' 2>/dev/null
	[ -r /proc/sysvipc/shm ] &&
		awk -v u="$1" 'NR > 1 && $8 == u && $7 == 0 { print $2, $5 }' /proc/sysvipc/shm |
		while read -r id cpid; do
			[ -d "/proc/$cpid" ] || echo "System V segment shmid $id"
		done
}
# The lines of NOW not in BEFORE, on one line.
new_lines() { comm -13 <(LC_ALL=C sort <<<"$1") <(LC_ALL=C sort <<<"$2") | paste -sd ' '; }

if [ -n "$user" ]; then
	tests/run --deps || die "the test libraries are missing, and $user cannot install them"
	useradd -m -s /bin/bash "$user" || die "useradd $user failed"
	made_user=1
	user_uid=$(id -u "$user") user_home=$(getent passwd "$user" | cut -d: -f6)
	if ! runuser -u "$user" -- mkdir "$user_home/shmlab" ||
		! tar -C "$top" --exclude=./build --exclude=./bin --exclude=./.git -cf - . |
		runuser -u "$user" -- tar -C "$user_home/shmlab" -xf -; then
		die "could not copy this tree to $user_home/shmlab"
	fi
	# a login shell: the environment a student who logs in has, nothing of ours
	runuser -l "$user" -c "cd shmlab && make -j$(nproc)" </dev/null >"$dir/make-$user.log" 2>&1 ||
		die "make failed for $user: see $dir/make-$user.log"
fi

# the user's command line: the same test files as ours, quoted for its shell
user_cmd="cd shmlab && SHMLAB_SOAK_TAG=$SHMLAB_SOAK_TAG exec tests/run"
for f in "${files[@]}"; do user_cmd+=" $(printf '%q' "$f")"; done

my_uid=$(id -u) my_tmp=${TMPDIR:-/tmp}
before=$(leftovers "$my_uid" "$my_tmp")
[ -z "$user" ] || ubefore=$(leftovers "$user_uid" /tmp)

say "$(printf '%s: %d run%s, %d CPU hog%s beside each, %s' "$me" "$runs" "$([ "$runs" = 1 ] || echo s)" \
	"$hogs" "$([ "$hogs" = 1 ] || echo s)" \
	"$(if [ -n "$user" ]; then echo "users $(id -un) and $user at once"; else echo "user $(id -un)"; fi)")"

# A background job of a shell is started with SIGINT ignored, and what is ignored
# stays ignored in its children: give the suites SIGINT back, so a stop's SIGINT
# reaches them and bats runs its teardowns.
default_int=()
env --default-signal=INT true 2>/dev/null && default_int=(env --default-signal=INT)
for ((i = 0; i < hogs; i++)); do
	(while :; do :; done) </dev/null >/dev/null 2>&1 &
	hog_pids+=($!)
done
[ "$hogs" -eq 0 ] || say "soak: hogs: pids ${hog_pids[*]}"

# A suite's result: green or RED, then its last line.
result() { # RC LOG LEFT
	local last
	last=$(tail -n 1 "$2" 2>/dev/null)
	if [ "$1" -eq 0 ] && [ -z "$3" ]; then
		echo "green ${last:-(no output)}"
	elif [ -n "$3" ]; then
		echo "RED ${last:-(no output)}, left behind: $3"
	else
		echo "RED ${last:-(no output)}"
	fi
}

green=0
for ((run = 1; run <= runs; run++)); do
	start=$SECONDS
	log=$dir/run-$run.log ulog=$dir/run-$run-$user.log
	set -m # each suite in a process group of its own, so a stop reaches all of it
	"${default_int[@]}" tests/run "${files[@]}" </dev/null >"$log" 2>&1 &
	suite_pids=($!)
	if [ -n "$user" ]; then
		"${default_int[@]}" runuser -l "$user" -c "$user_cmd" </dev/null >"$ulog" 2>&1 &
		suite_pids+=($!)
	fi
	set +m # and no job-control chatter when one of them is stopped
	wait "${suite_pids[0]}"
	rc=$?
	if [ -n "$user" ]; then
		wait "${suite_pids[1]}"
		urc=$?
	fi
	suite_pids=()
	secs=$((SECONDS - start))
	read -r load _ </proc/loadavg

	now=$(leftovers "$my_uid" "$my_tmp")
	r=$(result "$rc" "$log" "$(new_lines "$before" "$now")")
	before=$now
	line="$(id -un) ${r#* }"
	state=${r%% *}
	if [ -n "$user" ]; then
		unow=$(leftovers "$user_uid" /tmp)
		r=$(result "$urc" "$ulog" "$(new_lines "$ubefore" "$unow")")
		ubefore=$unow
		line+="; $user ${r#* }"
		[ "${r%% *}" = green ] || state=RED
	fi
	[ "$state" = RED ] || green=$((green + 1))
	say "$(printf 'soak run %d of %d: %s in %d min %d s, load %s: %s' \
		"$run" "$runs" "$state" $((secs / 60)) $((secs % 60)) "$load" "$line")"
done

say "soak: $green of $runs runs green (logs in $dir/)"
[ "$green" -eq "$runs" ]
