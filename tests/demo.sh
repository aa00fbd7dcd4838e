#!/usr/bin/env bash
# The tour behind `make demo`: every lab in order, each under a one-line
# heading, with counts small enough to read. Non-interactive; leaves nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SHMLAB_BIN:-bin}

step() {
	local title=$1
	shift
	printf '\n\033[1m== %s\033[0m\n$ %s\n' "$title" "$*"
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
step "12 robust-lock: the owner dies mid-update; a semaphore stays stuck, a robust mutex recovers" \
	"$BIN/12-robust-lock" -t 1
step "13 atomic-counter: one atomic_fetch_add per step, no lock, nothing lost" \
	"$BIN/13-atomic-counter" -q 1000000
step "13 atomic-counter: five ways to count, timed" \
	"$BIN/13-atomic-counter" --compare 100000
step "race statistics: 02 over 10 runs" \
	labs/tools/race-stats.sh -b "$BIN" -n 10 02 -q 1000000
