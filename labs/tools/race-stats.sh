#!/usr/bin/env bash
# race-stats.sh - run a counter lab RUNS times and sum up the lost updates in one line.
#
#   labs/tools/race-stats.sh [-n RUNS] [-b BINDIR] LAB [ARGS...]
#
# LAB is a lab number (02) or name (02-shared-race); ARGS are the lab's own
# arguments (default: -q 1000000). Every run must succeed and end with the
# counter labs' "result: counter=C expected=E lost=L" line. Prints, e.g.
#
#   02-shared-race -q 1000000: 20 of 20 runs lost updates; lost min 412 median 80213 max 901223
#
# A lab that says whether its loops overlapped in time (02's "overlap:" and
# "no overlap:" lines) gets a second line, e.g.
#
#   overlap: 14 of 20 runs, all of them lost updates; side by side min 1.840 median 5.563 max 18.094 ms
#   no overlap: 6 of 20 runs, 0 of them lost updates
#
# The median of an even number of runs is the mean of the middle two (lost: rounded down).
# BINDIR defaults to $SHMLAB_BIN, else bin. `make race LAB=02 N=20 ARGS="-q 1000000"`
# runs this. Ctrl-C, kill or a closed terminal stops the running lab too (it
# removes what it made), and then the tool, by the same signal.
set -uo pipefail

me=race-stats
usage="usage: $me [-n RUNS] [-b BINDIR] LAB [ARGS...]"
runs=20
bindir=${SHMLAB_BIN:-bin}

die_usage() { printf '%s: %s\n%s\n' "$me" "$1" "$usage" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) echo "$usage"; exit 0 ;;
	-n) [ $# -ge 2 ] || die_usage "option -n needs a number"; runs=$2; shift 2 ;;
	-b) [ $# -ge 2 ] || die_usage "option -b needs a directory"; bindir=$2; shift 2 ;;
	--) shift; break ;;
	-*) die_usage "unknown option '$1'" ;;
	*) break ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]{0,3}$ ]] || die_usage "RUNS '$runs' is not a number from 1 to 9999"
[ $# -ge 1 ] || die_usage "missing LAB"
lab=$1
shift
[ $# -gt 0 ] || set -- -q 1000000

# 2 or 02 or 02-shared-race -> the program bin/02-shared-race
case $lab in
[0-9]) lab=0$lab ;;
esac
progs=()
for p in "$bindir/$lab" "$bindir/$lab"-*; do
	[ -f "$p" ] && [ -x "$p" ] && progs+=("$p")
done
if [ ${#progs[@]} -ne 1 ]; then
	have=$(find "$bindir" -maxdepth 1 -name '[0-9][0-9]-*' -printf '%f\n' 2>/dev/null | sort | paste -sd ' ' -)
	printf '%s: no lab %s in %s (labs there: %s); run make first?\n' "$me" "$lab" "$bindir" "${have:-none}" >&2
	exit 2
fi
prog=${progs[0]}
name=${prog##*/}

# ---- each run: stopped with us (Ctrl-C, kill), nothing left behind ----
# The lab runs in the background and we wait for it: a trapped signal ends a
# wait at once, where a command substitution would run on to its end.
out_file=$(mktemp "${TMPDIR:-/tmp}/shmlab-race-stats.XXXXXX") || exit 1
child=''
# shellcheck disable=SC2317 # called by the traps
cleanup() { # [SIGNAL]: pass it on to the running lab (it removes its own objects), wait for it
	[ -z "$child" ] || { kill -s "${1:-TERM}" "$child" 2>/dev/null; wait "$child" 2>/dev/null; }
	rm -f "$out_file"
}
trap cleanup EXIT
for sig in INT TERM HUP; do
	# shellcheck disable=SC2064 # the signal's name, now
	trap "trap - EXIT $sig; cleanup $sig; kill -s $sig \$\$" "$sig"
done

losts=() over=() over_hits=0 apart=0 apart_hits=0
for ((i = 1; i <= runs; i++)); do
	status=0
	"$prog" "$@" </dev/null >"$out_file" 2>&1 &
	child=$!
	wait "$child" || status=$?
	child=''
	out=$(<"$out_file")
	if [ "$status" -ne 0 ]; then
		printf '%s: run %d of %s %s failed (exit %d):\n' "$me" "$i" "$name" "$*" "$status" >&2
		tail -n 5 <<<"$out" >&2
		exit 1
	fi
	lost=$(sed -n 's/^result: counter=-\{0,1\}[0-9]* expected=[0-9]* lost=\(-\{0,1\}[0-9]*\)$/\1/p' <<<"$out" | tail -n 1)
	if [ -z "$lost" ]; then
		printf '%s: run %d of %s %s printed no "result: ... lost=N" line\n' "$me" "$i" "$name" "$*" >&2
		exit 1
	fi
	losts+=("$lost")
	ms=$(sed -n 's/^overlap: the loops ran side by side for \([0-9.]*\) of [0-9.]* ms$/\1/p' <<<"$out")
	if [ -n "$ms" ]; then
		over+=("$ms")
		[ "$lost" -ne 0 ] && over_hits=$((over_hits + 1))
	elif grep -q '^no overlap: ' <<<"$out"; then
		apart=$((apart + 1))
		[ "$lost" -ne 0 ] && apart_hits=$((apart_hits + 1))
	fi
done

mapfile -t sorted < <(printf '%s\n' "${losts[@]}" | sort -n)
hits=0
for l in "${sorted[@]}"; do
	[ "$l" -ne 0 ] && hits=$((hits + 1))
done
mid=$((runs / 2))
if ((runs % 2)); then
	median=${sorted[mid]}
else
	median=$(((sorted[mid - 1] + sorted[mid]) / 2))
fi
printf '%s %s: %d of %d runs lost updates; lost min %s median %s max %s\n' \
	"$name" "$*" "$hits" "$runs" "${sorted[0]}" "$median" "${sorted[runs - 1]}"
[ ${#over[@]} -gt 0 ] || [ "$apart" -gt 0 ] || exit 0
if [ ${#over[@]} -gt 0 ]; then
	mapfile -t ms_sorted < <(printf '%s\n' "${over[@]}" | sort -n)
	n=${#ms_sorted[@]}
	# the median of the overlaps: the middle one, or the mean of the middle two
	med=$(awk -v a="${ms_sorted[(n - 1) / 2]}" -v b="${ms_sorted[n / 2]}" 'BEGIN { printf "%.3f", (a + b) / 2 }')
	printf 'overlap: %d of %d runs, %s lost updates; side by side min %s median %s max %s ms\n' \
		"$n" "$runs" "$( ((over_hits == n)) && echo "all of them" || echo "$over_hits of them")" \
		"${ms_sorted[0]}" "$med" "${ms_sorted[n - 1]}"
fi
if [ "$apart" -gt 0 ]; then
	printf 'no overlap: %d of %d runs, %d of them lost updates\n' "$apart" "$runs" "$apart_hits"
fi
