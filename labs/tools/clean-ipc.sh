#!/usr/bin/env bash
# clean-ipc.sh - list and remove your leftover shmlab IPC objects, and nothing else.
#
#   labs/tools/clean-ipc.sh [-n] [-k PATH]...
#
# What is yours and shmlab's:
# - POSIX shared memory and named semaphores under your prefix (what ipc_name()
#   uses: $SHMLAB_IPC_PREFIX, else shmlab-<uid>): /dev/shm/PREFIX.NAME and
#   /dev/shm/sem.PREFIX.NAME, owned by you.
# - System V segments owned by you whose key is lab 08's: ftok(KEYFILE, 8), with
#   KEYFILE its default ($HOME) and every -k PATH given (08-sysv-shm -k PATH).
#   Other segments cannot be told apart from other programs' and are left alone,
#   as are 08's IPC_PRIVATE segments (its rmid step removes those itself).
# An object some process still has open or attached is in use: it is listed and
# left alone. -n lists what would be removed and removes nothing.
# `make clean-ipc` runs this (`make clean-ipc DRY=1` for -n).
set -uo pipefail

me=clean-ipc
usage="usage: $me [-n] [-k PATH]..."
dry=
keyfiles=()
uid=$(id -u)

die_usage() { printf '%s: %s\n%s\n' "$me" "$1" "$usage" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) echo "$usage"; exit 0 ;;
	-n) dry=1; shift ;;
	-k)
		if [ $# -lt 2 ] || [ -z "$2" ]; then die_usage "option -k needs a PATH"; fi
		keyfiles+=("$2")
		shift 2
		;;
	*) die_usage "unexpected argument '$1'" ;;
	esac
done

prefix=${SHMLAB_IPC_PREFIX-shmlab-$uid}
# the rule ipc_name() enforces: 1 to 64 of [A-Za-z0-9._-], not starting with '.'
[[ $prefix =~ ^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$ ]] ||
	die_usage "SHMLAB_IPC_PREFIX '$prefix' is invalid (use 1 to 64 letters, digits, '.', '_', '-'; not starting with '.')"

home=${HOME:-}
[ -n "$home" ] || home=$(getent passwd "$uid" | cut -d: -f6)
[ -n "$home" ] && keyfiles=("$home" "${keyfiles[@]}")

removed=0 busy=0 failed=0
if [ -n "$dry" ]; then verb="would remove"; else verb="removed"; fi

# Does a process still use PATH (mapped, or open)? Prints one pid. Matched by
# device and inode, not by name: glibc makes a named semaphore under a
# temporary name and maps it under that name, so /proc/PID/maps never shows
# the name it is known by.
user_of() {
	local path=$1 ino dev hit
	read -r ino dev < <(stat -c '%i %Hd %Ld' -- "$path" 2>/dev/null) || return 1
	dev=$(printf '%02x:%02x' "${dev% *}" "${dev#* }")
	hit=$(grep -lsE -- "^[^ ]+ [^ ]+ [^ ]+ $dev $ino( |\$)" /proc/[0-9]*/maps | head -n 1)
	if [ -n "$hit" ]; then
		hit=${hit#/proc/}
		echo "${hit%%/*}"
		return 0
	fi
	# open: find holds the file it compares with open itself: not that one
	local hits finder list
	hits=$(mktemp) || return 1
	find -L /proc/[0-9]*/fd -maxdepth 1 -samefile "$path" >"$hits" 2>/dev/null &
	finder=$!
	wait "$finder"
	mapfile -t list <"$hits"
	rm -f "$hits"
	for hit in "${list[@]}"; do
		hit=${hit#/proc/}
		hit=${hit%%/*}
		[ "$hit" = "$finder" ] && continue
		echo "$hit"
		return 0
	done
	return 1
}

# ---- POSIX names ----
while IFS= read -r path; do
	base=${path#/dev/shm/}
	if [[ $base == sem.* ]]; then what="POSIX semaphore /${base#sem.}"; else what="POSIX shared memory /$base"; fi
	if pid=$(user_of "$path"); then
		printf 'in use       %s (pid %s has it; left alone)\n' "$what" "$pid"
		busy=$((busy + 1))
	elif [ -n "$dry" ] || rm -f -- "$path"; then
		printf '%-12s %s\n' "$verb" "$what"
		removed=$((removed + 1))
	else
		failed=$((failed + 1))
	fi
done < <(find /dev/shm -maxdepth 1 -type f -user "$uid" \
	\( -name "$prefix.*" -o -name "sem.$prefix.*" \) 2>/dev/null | LC_ALL=C sort)

# ---- System V segments: lab 08's keys ----
# ftok(PATH, ID) as glibc and musl compute it: ID in the top byte, then the low
# byte of the device number, then the low 16 bits of the inode number.
ftok() {
	local st
	st=$(stat -L -c '%d %i' -- "$1" 2>/dev/null) || return 1
	printf '%d\n' $((($2 & 0xff) << 24 | (${st% *} & 0xff) << 16 | (${st#* } & 0xffff)))
}

declare -A keyname=()
for f in "${keyfiles[@]}"; do
	if k=$(ftok "$f" 8); then
		keyname[$k]=$f
	else
		printf '%s: %s: no such file: no System V key from it\n' "$me" "$f" >&2
	fi
done

if [ ${#keyname[@]} -gt 0 ] && [ -r /proc/sysvipc/shm ]; then
	# columns: key shmid perms size cpid lpid nattch uid ...; keys as signed decimals
	while read -r key shmid _ size _ _ nattch owner _; do
		[ "$owner" = "$uid" ] || continue
		((key < 0)) && key=$((key + 4294967296))
		[ -n "${keyname[$key]:-}" ] || continue
		what=$(printf 'System V segment shmid %s, key 0x%08x (08-sysv-shm, key file %s), %s bytes' \
			"$shmid" "$key" "${keyname[$key]}" "$size")
		if [ "$nattch" -gt 0 ]; then
			printf 'in use       %s (%s attached; left alone)\n' "$what" "$nattch"
			busy=$((busy + 1))
		elif [ -n "$dry" ] || ipcrm -m "$shmid"; then
			printf '%-12s %s\n' "$verb" "$what"
			removed=$((removed + 1))
		else
			failed=$((failed + 1))
		fi
	done < <(tail -n +2 /proc/sysvipc/shm)
elif [ ${#keyname[@]} -gt 0 ]; then
	echo "$me: /proc/sysvipc/shm is not readable: System V segments not checked" >&2
fi

if [ "$removed" -eq 0 ] && [ "$busy" -eq 0 ] && [ "$failed" -eq 0 ]; then
	summary="$me: prefix $prefix: nothing left behind"
else
	summary="$me: prefix $prefix: $verb $removed"
fi
[ "$busy" -eq 0 ] || summary+=", $busy in use left alone"
[ "$failed" -eq 0 ] || summary+=", $failed could not be removed"
echo "$summary"
[ "$failed" -eq 0 ]
