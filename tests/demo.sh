#!/usr/bin/env bash
# The tour behind `make demo`: every lab in order, each under a one-line
# heading, with counts small enough to read. Non-interactive; leaves nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SHMLAB_BIN:-bin}

# Headings in bold on a terminal only, and not when NO_COLOR is set (no-color.org).
bold='' plain=''
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	bold=$'\033[1m' plain=$'\033[0m'
fi

step() {
	local title=$1
	shift
	printf '\n%s== %s%s\n$ %s\n' "$bold" "$title" "$plain" "$*"
	"$@"
}

step "01 fork-counter: after fork each process has its own counter" \
	"$BIN/01-fork-counter" 3
step "02 shared-race: one shared counter, no lock: updates are lost" \
	"$BIN/02-shared-race" -q 1000000
step "02 shared-race: the trace shows two loads of the same value" \
	"$BIN/02-shared-race" -y -v 4
step "03 named-semaphore: the same counter under a named semaphore: nothing lost" \
	"$BIN/03-named-semaphore" -q 1000000
step "04 semaphore-in-shm: the semaphore moves into the shared memory" \
	"$BIN/04-semaphore-in-shm" -q 1000000
step "05 anonymous-shm: no file at all, MAP_SHARED|MAP_ANONYMOUS" \
	"$BIN/05-anonymous-shm" -q 1000000
step "05 anonymous-shm: the older way, a mapping of /dev/zero" \
	"$BIN/05-anonymous-shm" --dev-zero -q 1000000
step "06 mmap-file: a store through a MAP_SHARED mapping is what read() sees" \
	"$BIN/06-mmap-file" shared HOWDY
step "06 mmap-file: a store through MAP_PRIVATE never reaches the file" \
	"$BIN/06-mmap-file" private HOWDY
step "06 mmap-file: zeros to the end of the file's last page, SIGBUS one page past it" \
	"$BIN/06-mmap-file" eof
step "07 posix-shm: a named object outlives the program that made it" \
	"$BIN/07-posix-shm" create tour 4096
step "07 posix-shm: another process writes it" "$BIN/07-posix-shm" write tour
step "07 posix-shm: a third one reads it" "$BIN/07-posix-shm" read tour
step "07 posix-shm: info shows the full name" "$BIN/07-posix-shm" info tour
step "07 posix-shm: unlink removes it" "$BIN/07-posix-shm" unlink tour
"$BIN/07-posix-shm" server -c 2 tour-counter &
server=$!
step "07 posix-shm: a client counts into the server's object" \
	"$BIN/07-posix-shm" client tour-counter 100000
step "07 posix-shm: a second client, started on its own" \
	"$BIN/07-posix-shm" client tour-counter 100000
wait "$server"
step "08 sysv-shm: IPC_RMID only marks the segment; it goes at the last shmdt" \
	"$BIN/08-sysv-shm" rmid
copy_dir=$(mktemp -d)
trap 'rm -rf "$copy_dir"' EXIT
head -c 1048576 /dev/urandom >"$copy_dir/in"
step "09 shm-copy: a server and a client copy 1 MiB through one shared buffer" \
	"$BIN/09-shm-copy" copy "$copy_dir/in" "$copy_dir/out"
step "09 shm-copy: the copy is byte for byte the same" cmp "$copy_dir/in" "$copy_dir/out"
step "10 shm-ring-copy: the same through a ring of 4 buffers of 16 KiB" \
	"$BIN/10-shm-ring-copy" copy -b 16384 -s 4 "$copy_dir/in" "$copy_dir/out"
step "10 shm-ring-copy: again byte for byte the same" cmp "$copy_dir/in" "$copy_dir/out"
"$BIN/11-robust-copy" client -n tour "$copy_dir/out" &
client=$!
step "11 robust-copy: the client started first and waits; the server joins it" \
	"$BIN/11-robust-copy" server -n tour "$copy_dir/in"
wait "$client"
mkfifo "$copy_dir/fifo"
exec 9<>"$copy_dir/fifo" # held open: the server waits on it for data that never comes
# the server runs in a subshell of its own, so that its "Killed" goes to /dev/null
("$BIN/11-robust-copy" server -n tour-kill "$copy_dir/fifo" & echo $! >"$copy_dir/pid"; wait) 2>/dev/null &
(sleep 1 && kill -9 "$(cat "$copy_dir/pid")") &
step "11 robust-copy: a second later the server is killed with SIGKILL; the client notices" \
	"$BIN/11-robust-copy" client -n tour-kill "$copy_dir/out" || true
wait
exec 9>&-
head -c 8388608 /dev/urandom >"$copy_dir/in8"
step "12 copy-bench: the copiers, by copies (4, 2, 1, 0), and where each byte goes" \
	"$BIN/12-copy-bench" --methods
step "12 copy-bench: splice copies 8 MiB with no copy through user space" \
	"$BIN/12-copy-bench" splice "$copy_dir/in8" "$copy_dir/out8"
step "12 copy-bench: byte for byte the same" cmp "$copy_dir/in8" "$copy_dir/out8"
step "bench: every way to pass 8 MiB on, timed side by side, every copy checked" \
	"$BIN/bench" -r 1 -d "$copy_dir" "$copy_dir/in8"
step "13 robust-lock: the owner dies mid-update; a semaphore stays stuck, a robust mutex recovers" \
	"$BIN/13-robust-lock" -t 1
step "14 atomic-counter: one atomic_fetch_add per step, no lock, nothing lost" \
	"$BIN/14-atomic-counter" -q 1000000
step "14 atomic-counter: five ways to count, timed" \
	"$BIN/14-atomic-counter" --compare 100000
step "15 memory-order: each stores its flag, then loads the other's; both can see 0" \
	"$BIN/15-memory-order" --litmus
step "15 memory-order: Peterson's lock from plain loads and stores loses updates" \
	"$BIN/15-memory-order" -q 100000
step "15 memory-order: a seq_cst fence between store and load mends it" \
	"$BIN/15-memory-order" -q --fence 100000
step "16 lockfree-ring: the ring of 10 with no semaphores: two atomic counts, a futex to sleep" \
	"$BIN/16-lockfree-ring" copy -b 4096 -s 16 "$copy_dir/in" "$copy_dir/out"
step "16 lockfree-ring: again byte for byte the same" cmp "$copy_dir/in" "$copy_dir/out"
step "16 lockfree-ring: one byte there and back: pipe, semaphores, futex, spin" \
	"$BIN/16-lockfree-ring" pingpong -c 500
printf 'hello, sealed world\n' >"$copy_dir/notes.txt"
"$BIN/17-memfd-seal" serve -n tour -c 2 "$copy_dir/notes.txt" >"$copy_dir/serve17.log" &
server=$!
step "17 memfd-seal: memory with no name, sealed, received over a Unix socket and checked" \
	"$BIN/17-memfd-seal" get -n tour "$copy_dir/copy.txt"
step "17 memfd-seal: the holder tries to write, grow and truncate it: the seals refuse" \
	"$BIN/17-memfd-seal" attack -n tour
wait "$server"
step "17 memfd-seal: what the server said" cat "$copy_dir/serve17.log"
step "race statistics: 02 over 10 runs" \
	labs/tools/race-stats.sh -b "$BIN" -n 10 02 -q 1000000
