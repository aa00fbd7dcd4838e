#!/usr/bin/env bash
# bench-report.sh - lab 12's question measured, as a report: Markdown, SVG bar charts, CSV.
#
#   labs/tools/bench-report.sh [--bin DIR] [-b BYTES] [-s SLOTS] [-r RUNS] [-n MIB] [-d DIR]
#       [-m METHODS] [--with METHOD=PROGRAM] [--sweep | --latency] [--csv] [--svg FILE] [FILE]
#
# It makes the input (FILE as it is, or -n MiB of random bytes), in a tmpfs when there
# is one so that the times are the copy's and not a disk's: $TMPDIR if it is a tmpfs,
# else /dev/shm. Then it runs bin/bench on it (labs/tools/bench.c) and turns its lines
# into a Markdown report: the machine, its load before and after, a table with each
# method's time against pipe's, rw's and the limit's, ordered by copies (4, 2, 1, 0),
# and where each method makes its copies, and rw's time against dd's (the system's
# copier, the same two copies). --svg also draws the MB/s as a bar chart.
#   --sweep    rw, pipe, shm1, the rings and robust at chunk sizes 4 KiB ... 4 MiB, the ring at 1 ... 16 slots,
#              lockfree at 4 and 16, robust at 4, one run of the bench per size and slot count; and for
#              shm1 and the ring the chunk that is fastest, and the least memory
#              within 5% of it
#   --latency  lab 16's one-byte round trips instead (pingpong -c RUNS x 10000)
#   --csv      CSV instead of Markdown
# Exit 1 if a copier was missing, failed or copied wrong (the report says which),
# 2 for bad arguments. `make bench` runs it four times into build/bench/.
set -uo pipefail

me=bench-report
usage="usage: $me [--bin DIR] [-b BYTES] [-s SLOTS] [-r RUNS] [-n MIB] [-d DIR] [-m METHODS] [--with METHOD=PROGRAM] [--sweep | --latency] [--csv] [--svg FILE] [FILE]"
sweep_methods="rw pipe shm1 ring lockfree robust"

die_usage() { printf '%s: %s\n%s\n' "$me" "$1" "$usage" >&2; exit 2; }
die() { printf '%s: %s\n' "$me" "$1" >&2; exit 1; }

# VALUE WHAT MIN MAX: VALUE if it is a number from MIN to MAX, else a usage error.
count() {
	[[ $1 =~ ^-?[0-9]+$ ]] || die_usage "$2 '$1' is not a number"
	if ! [[ $1 =~ ^[0-9]{1,9}$ ]] || ((10#$1 < $3 || 10#$1 > $4)); then
		die_usage "$2 '$1' is out of range (want $3 to $4)"
	fi
	echo $((10#$1))
}

# once bench has said which methods there are (bench --methods)
method_ok() {
	[[ " $all_methods " == *" $1 "* ]] || die_usage "unknown method '$1' (${all_methods// /, })"
}

bin=${SHMLAB_BIN:-$(dirname "$0")/../../bin}
chunk=1048576 slots=4 runs=5 mib=256 dir='' file='' mode=copy csv='' svg='' picked='' sized=
methods=''
declare -A with=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) echo "$usage"; exit 0 ;;
	--sweep | --latency)
		[ "$mode" = copy ] || [ "$mode" = "${1#--}" ] || die_usage "--sweep and --latency are separate runs: choose one"
		mode=${1#--} ;;
	--csv) csv=1 ;;
	--) shift; break ;;
	-b | -s | -r | -n | -d | -m | --with | --svg | --bin)
		if [ $# -lt 2 ] || [ -z "$2" ]; then die_usage "option $1 needs a value"; fi
		case $1 in
		-b) chunk=$(count "$2" BYTES 1 67108864) || exit 2; sized=1 ;;
		-s) slots=$(count "$2" SLOTS 1 1024) || exit 2; sized=1 ;;
		-r) runs=$(count "$2" RUNS 1 50) || exit 2 ;;
		-n) mib=$(count "$2" MIB 1 1048576) || exit 2 ;;
		-d) dir=$2 ;;
		-m) methods=${2//,/ } picked=1
			[ -n "${methods// /}" ] || die_usage "-m wants one method or more, e.g. -m rw,pipe" ;;
		--with) [[ $2 =~ ^([a-z0-9]+)=(.+)$ ]] || die_usage "--with wants METHOD=PROGRAM, not '$2'"
			with[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]} ;;
		--svg) svg=$2 ;;
		--bin) bin=$2 ;;
		esac
		shift ;;
	-?*) die_usage "unknown option '$1'" ;;
	*) [ -z "$file" ] || die_usage "unexpected argument '$1'"; file=$1 ;;
	esac
	shift
done
for a in "$@"; do
	[ -z "$file" ] || die_usage "unexpected argument '$a'"
	file=$a
done
if [ "$mode" = sweep ] && [ -n "$picked$sized$svg" ]; then
	die_usage "--sweep runs every method at every chunk size and slot count: drop -m, -b, -s and --svg"
fi
[ "$mode" != latency ] || [ -z "$file" ] || die_usage "--latency copies no file: drop '$file'"
if [ "$mode" = latency ]; then
	lab=$bin/16-lockfree-ring # its pingpong
else
	lab=$bin/bench
fi
[ -x "$lab" ] || die "$lab not built (make)"
if [ "$mode" != latency ]; then # the methods, as bench-methods.h lists them
	all_methods=$("$lab" --methods | awk 'NR > 1 { printf("%s%s", n++ ? " " : "", $1) }') ||
		die "$lab --methods failed"
	for m in $methods "${!with[@]}"; do method_ok "$m"; done
	methods=${methods:-$all_methods}
fi
[ -z "$svg" ] || { : >"$svg"; } 2>/dev/null || die "open $svg: cannot write there"

# ---- running bench (or pingpong): stopped with us, nothing left behind ----
# Every file of ours is in a directory of our own (mode 0700), never at a name
# in a shared one, where another user could put a FIFO or a symlink first.
work=$(mktemp -d "${TMPDIR:-/tmp}/shmlab-bench-report.XXXXXX") || exit 1
indir='' child=''
# shellcheck disable=SC2317 # called by the traps
cleanup() {
	[ -z "$child" ] || { kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; }
	rm -rf "$work"
	[ -z "$indir" ] || rm -rf "$indir"
}
trap cleanup EXIT
for sig in INT TERM HUP; do
	# shellcheck disable=SC2064 # the signal's name, now
	trap "trap - EXIT $sig; cleanup; kill -s $sig \$\$" "$sig"
done

# run_lab OUT ARGS...: bench's (pingpong's) stdout to OUT, its stderr kept for the end; its status.
run_lab() {
	local out=$1 status=0
	shift
	"$lab" "$@" >"$out" 2>>"$work/err" &
	child=$!
	wait "$child" || status=$?
	child=
	[ "$status" -ne 2 ] || { cat "$work/err" >&2; exit 2; }
	return "$status"
}

# Their messages, once each, after the report.
say_errors() { [ ! -s "$work/err" ] || awk '!seen[$0]++' "$work/err" >&2; }

progress() { [ ! -t 2 ] || printf '\r%s: %s   ' "$me" "$1" >&2; }
progress_done() { [ ! -t 2 ] || printf '\r%60s\r' '' >&2; }

load() {
	local a b c
	if read -r a b c _ </proc/loadavg 2>/dev/null; then echo "$a $b $c"; else echo unknown; fi
}

machine() {
	local model
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
	echo "$(getconf _NPROCESSORS_ONLN) cores${model:+ ($model)}, $(uname -srm)"
}

size_text() { awk -v b="$1" 'BEGIN { split("bytes KiB MiB GiB TiB", u, " "); i = 1
	while (b >= 1024 && i < 5) { b /= 1024; i++ }
	printf(b == int(b) ? "%.0f %s\n" : "%.1f %s\n", b, u[i]) }'; }

# The file system's type as df names it (from the mount table); where the mount
# table does not have it (a chroot, some containers), as statfs(2) does.
fs_type() {
	local t
	t=$(df --output=fstype "$1" 2>/dev/null | tail -n 1) || t=
	[ -n "$t" ] || t=$(stat -f -c %T "$1" 2>/dev/null)
	echo "${t:-unknown file system}"
}

# ---- the renderer: the lab's lines in, Markdown, CSV or SVG out ----
# shellcheck disable=SC2016 # an awk program: its $ are awk's
render='
function size_text(b,   i) {
	i = 1
	while (b >= 1024 && i < 5) { b /= 1024; i++ }
	return sprintf(b == int(b) ? "%.0f %s" : "%.1f %s", b, unit[i])
}
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
# A horizontal bar chart of bars 1..n: label bl[], length bv[], note bn[], colour bg[]
# (0 to nleg - 1: the entries leg[] of the legend).
function svg(path, title, u, nleg, n,    i, g, y, w, max, left, bar_max, row, top) {
	left = 90; bar_max = 420; row = 34; top = 96; max = 0
	for (i = 1; i <= n; i++) if (bv[i] > max) max = bv[i]
	printf("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n", top + n * row + 16) > path
	printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n") > path
	printf("<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", esc(title)) > path
	printf("<text x=\"10\" y=\"42\" fill=\"#555\">%s</text>\n", esc(machine "; load average " load)) > path
	for (g = 0; g < nleg; g++)
		printf("<rect x=\"%d\" y=\"56\" width=\"14\" height=\"14\" fill=\"%s\"/><text x=\"%d\" y=\"68\">%s</text>\n", 10 + g * 760 / nleg, colour[g], 30 + g * 760 / nleg, esc(leg[g])) > path
	for (i = 1; i <= n; i++) {
		y = top + (i - 1) * row
		w = max > 0 ? int(bv[i] / max * bar_max + 0.5) : 0
		printf("<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"24\" fill=\"%s\"/>", left - 8, y + 17, esc(bl[i]), left, y, w, colour[bg[i]]) > path
		printf("<text x=\"%d\" y=\"%d\">" (bv[i] < 100 ? "%.2f" : "%.0f") " %s %s</text>\n", left + w + 6, y + 17, bv[i], u, esc(bn[i])) > path
	}
	print "</svg>" > path
	close(path)
}
# The CSV line of row i; pms, rms, lms: the wall time of pipe, rw and limit at its chunk size.
function csv_row(i, pms, rms, lms,    r) {
	printf("%s,%s,%s,%s,%d,", name[i], chunk[i], slots[i] == "-" ? "" : slots[i], bytes, ok[i] ? runs : 0)
	if (ok[i])
		printf("%.2f,%s,%s,%.1f,%.1f,%d,%d,%d,%s,%s,%s,", wall[i], wmin[i], wmax[i], mbs[i], cpu[i], rss[i], vcs[i], ivcs[i],
		       pms > 0 ? sprintf("%.3f", wall[i] / pms) : "", rms > 0 ? sprintf("%.3f", wall[i] / rms) : "",
		       lms > 0 ? sprintf("%.3f", wall[i] / lms) : "")
	else
		printf(",,,,,,,,,,,")
	r = result[i]; gsub(/"/, "\"\"", r)
	printf("\"%s\"\n", r)
}
# Among the rows of method m, the fastest, and the one using the least memory
# (chunk x slots) within 5% of it.
function recommend(m,    i, best, small, mem) {
	for (i = 1; i <= n; i++)
		if (name[i] == m && ok[i] && (!best || wall[i] < wall[best])) best = i
	if (!best) return
	for (i = 1; i <= n; i++) {
		if (name[i] != m || !ok[i] || wall[i] > wall[best] * 1.05) continue
		mem = chunk[i] * (slots[i] == "-" ? 1 : slots[i])
		if (!small || mem < memof(small) || (mem == memof(small) && wall[i] < wall[small])) small = i
	}
	if (!said++) print ""
	if (m == "ring")
		printf("- ring: fastest with chunk %s x %d slots (%.0f MB/s); least memory within 5%%: %s x %d slots (%.0f MB/s)\n",
		       size_text(chunk[best]), slots[best], mbs[best], size_text(chunk[small]), slots[small], mbs[small])
	else
		printf("- %s: fastest with chunk %s (%.0f MB/s); smallest chunk within 5%%: %s (%.0f MB/s)\n",
		       m, size_text(chunk[best]), mbs[best], size_text(chunk[small]), mbs[small])
}
function memof(i) { return chunk[i] * (slots[i] == "-" ? 1 : slots[i]) }
function wall_of(m, s, c,    i) {
	for (i = 1; i <= n; i++) if (name[i] == m && slots[i] == s && chunk[i] == c && ok[i]) return wall[i]
	return 0
}
function row_of(m, s, c,    i) {
	for (i = 1; i <= n; i++) if (name[i] == m && slots[i] == s && chunk[i] == c) return i
	return 0
}
BEGIN {
	csv_head = "method,chunk,slots,bytes,runs,wall_ms,wall_min_ms,wall_max_ms,mb_s,cpu_ms,maxrss_kib,vol_cs,invol_cs,vs_pipe,vs_rw,vs_limit,result"
	split("bytes KiB MiB GiB TiB", unit, " ")
	colour[0] = "#4e79a7"; colour[1] = "#e15759"; colour[2] = "#59a14f"; colour[3] = "#b07aa1"
}
$1 == "method" || $1 == "one-byte" || $1 == "stream" { next }
mode ~ /^latency/ {
	# a row of pingpong: method median_us p99_us p99.9_us cpu_ms wall_ms cpus futex/trip vol_cs invol_cs
	n++; name[n] = $1; med[n] = $2; p99[n] = $3; p999[n] = $4; cpu[n] = $5; vcs[n] = $9; ivcs[n] = $10
	seen[$1] = 1
	if ($1 == "pipe") pipe_us = $2
	next
}
{   # a row of bench: method copies chunk slots wall_ms min-max MB/s cpu_ms rss_kib vol_cs invol_cs result...
	n++; name[n] = $1
	r = $0; for (k = 1; k <= 11; k++) sub(/^ *[^ ]+ +/, "", r)
	copies[n] = $2; chunk[n] = $3; slots[n] = $4; wall[n] = $5; wmin[n] = $6; wmax[n] = $6
	sub(/-.*/, "", wmin[n]); sub(/.*-/, "", wmax[n])
	mbs[n] = $7; cpu[n] = $8; rss[n] = $9; vcs[n] = $10; ivcs[n] = $11; result[n] = r
	ok[n] = r == "verified" || r ~ /^size checked/
}
END {
	if (mode == "copy" || mode == "copycsv" || mode == "copysvg") {
		pms = wall_of("pipe", "-", bchunk); rms = wall_of("rw", "-", bchunk); lms = wall_of("limit", "-", bchunk)
		# by copies, 4 first; as the lab printed them within a count
		for (i = 1; i <= n; i++) {
			for (j = i - 1; j >= 1 && copies[by[j]] < copies[i]; j--) by[j + 1] = by[j]
			by[j + 1] = i
		}
		if (mode == "copycsv") {
			print csv_head
			for (k = 1; k <= n; k++) csv_row(by[k], pms, rms, lms)
		} else if (mode == "copy") {
			print "| method   | copies | wall ms |   min-max ms |   MB/s | CPU ms | peak RSS  | vol cs | invol cs | x pipe |  x rw | x limit | output   |"
			print "|----------|-------:|--------:|-------------:|-------:|-------:|----------:|-------:|---------:|-------:|------:|--------:|----------|"
			for (k = 1; k <= n; k++) {
				i = by[k]
				printf("| %-8s | %6d |", name[i], copies[i])
				if (ok[i]) {
					printf(" %7.1f | %12s | %6.0f | %6.1f | %9s | %6d | %8d |", wall[i], wmin[i] "-" wmax[i],
					       mbs[i], cpu[i], size_text(rss[i] * 1024), vcs[i], ivcs[i])
					if (pms > 0) printf(" %6.2f |", wall[i] / pms); else printf("      - |")
					if (rms > 0) printf(" %5.2f |", wall[i] / rms); else printf("     - |")
					if (lms > 0) printf(" %7.2f |", wall[i] / lms); else printf("       - |")
				} else {
					printf("         |              |        |        |           |        |          |        |       |         |")
				}
				printf(" %s |\n", result[i])
			}
			for (k = 1; k <= n; k++)
				if (chunk[by[k]] != bchunk && !noted[name[by[k]]]++)
					printf("%s- %s: chunk %s, the largest message this system allows\n", k0++ ? "" : "\n", name[by[k]], size_text(chunk[by[k]]))
			if (rms > 0 && (dms = wall_of("dd", "-", bchunk)) > 0)
				printf("%s- rw: x%.2f the time of `dd bs=%s`, which makes the same two copies\n", k0++ ? "" : "\n",
				       rms / dms, size_text(bchunk) == "1 MiB" ? "1M" : bchunk)
		} else {
			leg[0] = "4 copies"; leg[1] = "2 copies"; leg[2] = "1 copy"; leg[3] = "0 copies (the kernel only)"
			for (k = 1; k <= n; k++) {
				i = by[k]
				bl[k] = name[i]; bg[k] = copies[i] == 4 ? 0 : copies[i] == 2 ? 1 : copies[i] == 1 ? 2 : 3; bv[k] = ok[i] ? mbs[i] : 0
				bn[k] = !ok[i] ? (result[i] ~ /^MISSING/ ? "not built" : result[i] ~ /^unavailable/ ? "unavailable" : "FAILED") : pms > 0 ? sprintf("(time x%.2f of pipe)", wall[i] / pms) : ""
			}
			svg(path, title, "MB/s", 4, n)
		}
	} else if (mode == "sweep" || mode == "sweepcsv") {
		ncol = split("rw/- pipe/- shm1/- ring/1 ring/2 ring/4 ring/8 ring/16 lockfree/4 lockfree/16 robust/4", col, " ")
		nch = split(chunks, ch, " ")
		if (mode == "sweepcsv") {
			print csv_head
			for (c = 1; c <= nch; c++)
				for (j = 1; j <= ncol; j++) {
					split(col[j], ms, "/")
					if ((i = row_of(ms[1], ms[2], ch[c]))) csv_row(i, wall_of("pipe", "-", ch[c]), wall_of("rw", "-", ch[c]), 0)
				}
			exit
		}
		printf("MB/s (median of %d runs); ring N = the ring with N slots, lockfree N the same for lab 16\n\n", runs)
		printf("| chunk   |    rw |  pipe |  shm1 | ring  1 | ring  2 | ring  4 | ring  8 | ring 16 | lockfree 4 | lockfree 16 | robust 4 |\n")
		printf("|---------|------:|------:|------:|--------:|--------:|--------:|--------:|--------:|-----------:|------------:|---------:|\n")
		for (c = 1; c <= nch; c++) {
			printf("| %-7s |", size_text(ch[c]))
			for (j = 1; j <= ncol; j++) {
				split(col[j], ms, "/")
				i = row_of(ms[1], ms[2], ch[c]); w = j <= 3 ? 5 : ms[1] == "ring" ? 7 : length(ms[1] " " ms[2])
				if (i && ok[i]) printf(" %" w ".0f |", mbs[i])
				else printf(" %" w "s |", i && result[i] !~ /^MISSING/ ? "fail" : "-")
			}
			printf("\n")
			a = wall_of("robust", 4, ch[c]); b = wall_of("ring", 4, ch[c])
			if (a > 0 && b > 0) ratio[++nr] = a / b
		}
		recommend("shm1"); recommend("ring")
		if (nr) { # the cost of robustness: robust 4 against ring 4, at every chunk size
			for (i = 1; i <= nr; i++) for (j = i + 1; j <= nr; j++) if (ratio[j] < ratio[i]) { t = ratio[i]; ratio[i] = ratio[j]; ratio[j] = t }
			printf("- robust: x%.2f the time of ring 4 (median over the chunk sizes; from x%.2f to x%.2f)\n",
			       nr % 2 ? ratio[(nr + 1) / 2] : (ratio[nr / 2] + ratio[nr / 2 + 1]) / 2, ratio[1], ratio[nr])
		}
	} else {
		what["pipe"] = "write + read on two pipes"
		what["semaphore"] = "sem_post + sem_wait in shared memory"
		what["futex"] = "atomics, and a futex: sleeps at once"
		what["spin"] = "atomics, spinning: never a system call"
		what["spin+futex"] = "spins, then sleeps: the ring of lab 16"
		if (why != "") { # pingpong stopped: the ways it did not reach failed
			nk = split("pipe semaphore futex spin spin+futex", kind, " ")
			for (k = 1; k <= nk; k++)
				if (!(kind[k] in seen)) { n++; name[n] = kind[k]; med[n] = "-"; what[kind[k]] = "FAILED: " why }
		}
		for (i = 1; i <= n; i++) x[i] = pipe_us > 0 ? med[i] / pipe_us : 0
		if (mode == "latencycsv") {
			print "method,round_trips,median_us,p99_us,p99_9_us,cpu_ms,vol_cs,invol_cs,vs_pipe"
			for (i = 1; i <= n; i++)
				if (med[i] == "-") # it failed: no figures
					printf("%s,%d,,,,,,,\n", name[i], trips)
				else
					printf("%s,%d,%.2f,%.2f,%.2f,%.1f,%d,%d,%.2f\n", name[i], trips, med[i], p99[i], p999[i], cpu[i], vcs[i], ivcs[i], x[i])
		} else if (mode == "latency") {
			print "| method     | what                                   | median us |  p99 us | p99.9 us | CPU ms | vol cs | invol cs | x pipe |"
			print "|------------|----------------------------------------|----------:|--------:|---------:|-------:|-------:|---------:|-------:|"
			for (i = 1; i <= n; i++)
				if (med[i] == "-")
					printf("| %-10s | %-38s |         - |       - |        - |      - |      - |        - |      - |\n", name[i], what[name[i]])
				else
					printf("| %-10s | %-38s | %9.2f | %7.2f | %8.2f | %6.0f | %6d | %8d | %6.2f |\n", name[i], what[name[i]], med[i], p99[i], p999[i], cpu[i], vcs[i], ivcs[i], x[i])
		} else {
			for (i = 1; i <= n; i++) { bl[i] = name[i]; bv[i] = med[i]; bn[i] = med[i] == "-" ? "FAILED" : sprintf("x%.2f pipe", x[i]); bg[i] = name[i] == "pipe" }
			leg[0] = "shared memory (semaphores, futex, spinning)"; leg[1] = "pipe pair"
			svg(path, "One-byte round trip between two processes (median, lower is better)", "us", 2, n)
		}
	}
}'

# render MODE [awk -v settings...] < the lab's lines
render() {
	local mode=$1
	shift
	awk -v mode="$mode" -v runs="$runs" -v machine="$(machine)" -v load="$(load)" "$@" "$render"
}

header() { # TITLE: the report's first lines
	[ -n "$csv" ] && return
	printf '## 12-copy-bench: %s\n\n- machine: %s\n- load average at the start: %s\n' "$1" "$(machine)" "$start_load"
}
footer() { [ -n "$csv" ] || printf '\n- load average at the end: %s\n' "$(load)"; }
start_load=$(load)

# ---- --latency: lab 16's pingpong ----
if [ "$mode" = latency ]; then
	status=0 trips=$((runs * 10000))
	progress "latency, $trips round trips per method"
	run_lab "$work/out" pingpong -c "$trips" || status=$?
	progress_done
	[ -s "$work/out" ] || { say_errors; exit "$status"; }
	n=$(sed -n 's/^one-byte round trips: \([0-9]*\) per method.*/\1/p' "$work/out")
	trips=${n:-$trips} why= # as many as pingpong says it timed
	[ "$status" -eq 0 ] || why=$(tail -n 1 "$work/err" 2>/dev/null | sed 's/^[^:]*: //')
	[ "$status" -eq 0 ] || [ -n "$why" ] || why="exit $status"
	if [ -n "$csv" ]; then
		render latencycsv -v trips="$trips" -v why="$why" <"$work/out"
	else
		header "one byte there and back between two processes"
		# shellcheck disable=SC2016 # backquotes for Markdown, not the shell
		printf -- '- %s (`16-lockfree-ring pingpong -c %s`)\n\n' \
			"$(sed -n 's/^one-byte round trips: \([0-9]*\) per method/\1 round trips per method/p' "$work/out")" "$trips"
		render latency -v why="$why" <"$work/out"
		sed -n 's/^stream of /\n- a stream of /p' "$work/out"
		[ -z "$svg" ] || render latencysvg -v path="$svg" -v why="$why" <"$work/out"
		footer
	fi
	say_errors
	exit "$status"
fi

# ---- the input: FILE, or -n MiB of random bytes, in a tmpfs if there is one ----
is_tmpfs() { [ "$(stat -f -c %T "$1" 2>/dev/null)" = tmpfs ]; }
tmp=${TMPDIR:-/tmp}
if [ -z "$dir" ] && ! is_tmpfs "$tmp" && is_tmpfs /dev/shm && [ -w /dev/shm ]; then
	dir=/dev/shm where="/dev/shm (tmpfs), as $tmp is not a tmpfs"
else
	dir=${dir:-$tmp} where=
fi
[ -d "$dir" ] || die "$dir: not a directory"
if [ -z "$where" ] && is_tmpfs "$dir"; then
	where="$dir (tmpfs)"
elif [ -z "$where" ]; then
	where="$dir ($(fs_type "$dir"): not a tmpfs, so the times include the file system)"
fi
if [ -n "$file" ]; then
	[ -e "$file" ] || die "$file: No such file or directory"
	[ -f "$file" ] || die "$file: not a regular file"
	bytes=$(stat -c %s "$file")
	copies=1 inputline="$(size_text "$bytes") in $file ($(fs_type "$file"))" filesline="outputs: $where"
else
	bytes=$((mib * 1048576))
	copies=2 inputline="$(size_text "$bytes") of pseudo-random bytes" filesline="files: $where"
fi
need=$((bytes * copies / 1024 + 16384)) # KiB: the input, if made here, and one output
have=$(df -Pk "$dir" 2>/dev/null | awk 'NR == 2 { print $4 }')
if [ -n "$have" ] && [ "$have" -lt "$need" ]; then
	die "$dir has $(size_text $((have * 1024))) free, the benchmark needs $(size_text $((need * 1024))): use a smaller -n or another -d"
fi
if [ -n "$file" ]; then
	input=$file
else
	indir=$(mktemp -d "$dir/shmlab-bench-input.XXXXXX") || exit 1
	input=$indir/input
	progress "making $(size_text "$bytes") of input"
	head -c "$bytes" /dev/urandom >"$input" || die "write $input: cannot make the input"
fi

# The methods as the lab takes them: METHOD, or METHOD=PROGRAM for --with.
operands() {
	local m
	for m in "$@"; do
		if [ -n "${with[$m]:-}" ]; then echo "$m=${with[$m]}"; else echo "$m"; fi
	done
}

# ---- --sweep: the lab once per chunk size and slot count ----
if [ "$mode" = sweep ]; then
	status=0 chunks='' k=0
	: >"$work/rows"
	for c in 4096 8192 16384 32768 65536 131072 262144 524288 1048576 2097152 4194304; do
		chunks="$chunks $c" k=$((k + 1))
		for s in 4 1 2 8 16; do
			# shellcheck disable=SC2086 # one word per method
			case $s in 4) set -- $sweep_methods ;; 16) set -- ring lockfree ;; *) set -- ring ;; esac
			progress "chunk $(size_text "$c") ($k of 11), $s slots"
			mapfile -t ops < <(operands "$@")
			run_lab "$work/out" -b "$c" -s "$s" -r "$runs" -d "$dir" "$input" "${ops[@]}" || status=$?
			[ -s "$work/out" ] || { progress_done; say_errors; exit "$status"; }
			cat "$work/out" >>"$work/rows"
		done
	done
	progress_done
	header "chunk size and ring slots"
	if [ -z "$csv" ]; then
		printf -- '- input: %s\n- %s\n- median of %s runs after 1 warm-up\n\n' "$inputline" "$filesline" "$runs"
		render sweep -v chunks="$chunks" <"$work/rows"
	else
		render sweepcsv -v chunks="$chunks" -v bytes="$bytes" <"$work/rows"
	fi
	footer
	say_errors
	exit "$status"
fi

# ---- the comparison: each method once, at the same chunk size ----
status=0
progress "$runs runs of $methods on $(size_text "$bytes")"
# shellcheck disable=SC2086 # one word per method
mapfile -t ops < <(operands $methods)
run_lab "$work/out" -b "$chunk" -s "$slots" -r "$runs" -d "$dir" "$input" "${ops[@]}" || status=$?
progress_done
[ -s "$work/out" ] || { say_errors; exit "$status"; }
if [ -n "$csv" ]; then
	render copycsv -v bytes="$bytes" -v bchunk="$chunk" <"$work/out"
else
	# shellcheck disable=SC2086 # one word per method
	set -- $methods
	header "copy one file $# ways"
	printf -- '- input: %s\n- %s\n- every method: chunk %s; ring, robust and lockfree: %s slots; median of %s runs after 1 warm-up\n\n' \
		"$inputline" "$filesline" "$(size_text "$chunk")" "$slots" "$runs"
	render copy -v bchunk="$chunk" <"$work/out"
	# where each method makes its copies, in the lab's words
	"$lab" --methods | awk -v picked=" $methods " 'NR == 1 { print "\nWhere the copies are made:\n" }
		NR > 1 && index(picked, " " $1 " ") { m = $1; c = $2; sub(/^[^ ]+ +[0-9]+ /, ""); printf("- `%s` (%d): %s\n", m, c, $0) }'
	if [ -n "$svg" ]; then
		render copysvg -v path="$svg" -v bchunk="$chunk" \
			-v title="Copying $(size_text "$bytes"), chunk $(size_text "$chunk"): MB/s, median of $runs runs (higher is better)" <"$work/out"
	fi
	footer
fi
say_errors
exit "$status"
