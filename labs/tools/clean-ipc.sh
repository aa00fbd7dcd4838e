#!/usr/bin/env bash
# clean-ipc.sh - list and remove your leftover shmlab IPC objects, and nothing else.
#
#   labs/tools/clean-ipc.sh [-n] [-k PATH]...
#
# What is yours and shmlab's:
# - POSIX shared memory and named semaphores under your prefix (what ipc_name()
#   uses: $SHMLAB_IPC_PREFIX, else shmlab-<uid>): /dev/shm/PREFIX.NAME and
#   /dev/shm/sem.PREFIX.NAME, owned by you.
# - System V segments created by you and owned by you whose key is lab 08's:
#   ftok(KEYFILE, 8), with KEYFILE its default ($HOME) and every -k PATH given
#   (08-sysv-shm -k PATH).
# - The System V objects labs make for their own use, where a program that needs
#   no key passes IPC_PRIVATE: 08's rmid segment and 12's msg queue. Every
#   IPC_PRIVATE object has key 0, so after a kill -9 nothing could tell a lab's
#   from another program's; the labs key them with ipc_key(LAB) (common/name.c):
#   the lab's number in the top byte, the creating process's pid below. One is
#   taken for a lab's when you created and own it, its top byte is 8 (segment)
#   or 12 (queue), and the kernel's own record agrees with the pid in the key: a
#   segment's creator pid (cpid) is that pid; a queue's last sender (lspid) is
#   that pid, or nobody yet. While that pid runs, the object is in use (the pid
#   is a lab) or not ours at all (it is something else; not listed); a zombie
#   is gone. Why this cannot take another program's segment: it would have to be
#   yours and keyed by its own creator's pid under an 8, which no ftok key or
#   random key is but by a one-in-millions accident. A queue has no creator pid
#   to compare, so a program of yours that keys queues 0x0cNNNNNN and has not
#   yet sent from another pid could be mistaken; hence also: its pid is gone.
# Other System V objects cannot be told apart from other programs' and are left
# alone; so is every object of another user.
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
	# (no temp file for its list, that a signal could leave: $! is the
	# process substitution, which exec makes find itself)
	local finder list
	mapfile -t list < <(exec find -L /proc/[0-9]*/fd -maxdepth 1 -samefile "$path" 2>/dev/null)
	finder=$!
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

# The pid in a key made by ipc_key(LAB), if its top byte is LAB; else nothing.
key_pid() {
	(($1 >> 24 == $2)) && echo $(($1 & 0xffffff))
}

# Is the process that made an ipc_key object still running? 0: yes, a lab (in
# use); 1: no (a leftover); 2: yes, but not a lab: the pid was reused, or the
# key only looks like ours.
pid_state() {
	local stat comm
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ] || return 1 # a zombie: dead, not yet reaped
	comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
	[[ $comm == [0-9][0-9]-* ]] && return 0
	return 2
}

# One System V object: in use (N attached, or its creator LIVE), or removed
# with ipcrm OPTION ID (-m a segment, -q a queue).
sysv_object() {
	local what=$1 opt=$2 id=$3 busy_why=$4
	if [ -n "$busy_why" ]; then
		printf 'in use       %s (%s; left alone)\n' "$what" "$busy_why"
		busy=$((busy + 1))
	elif [ -n "$dry" ] || ipcrm "$opt" "$id"; then
		printf '%-12s %s\n' "$verb" "$what"
		removed=$((removed + 1))
	else
		failed=$((failed + 1))
	fi
}

if [ -r /proc/sysvipc/shm ]; then
	# columns: key shmid perms size cpid lpid nattch uid gid cuid ...; keys as signed decimals
	while read -r key shmid _ size cpid _ nattch owner _ cuid _; do
		[ "$owner:$cuid" = "$uid:$uid" ] || continue # yours, made by you
		((key < 0)) && key=$((key + 4294967296))
		why=
		if [ -n "${keyname[$key]:-}" ]; then
			what=$(printf 'System V segment shmid %s, key 0x%08x (08-sysv-shm, key file %s), %s bytes' \
				"$shmid" "$key" "${keyname[$key]}" "$size")
		elif [ "$(key_pid "$key" 8)" = "$cpid" ]; then
			what=$(printf 'System V segment shmid %s, key 0x%08x (08-sysv-shm rmid, pid %s), %s bytes' \
				"$shmid" "$key" "$cpid" "$size")
			pid_state "$cpid"
			case $? in
			0) why="pid $cpid is running" ;;
			2) continue ;;
			esac
		else
			continue
		fi
		[ "$nattch" -eq 0 ] || why="$nattch attached"
		sysv_object "$what" -m "$shmid" "$why"
	done < <(tail -n +2 /proc/sysvipc/shm)
else
	echo "$me: /proc/sysvipc/shm is not readable: System V segments not checked" >&2
fi

if [ -r /proc/sysvipc/msg ]; then
	# columns: key msqid perms cbytes qnum lspid lrpid uid gid cuid ...
	while read -r key msqid _ _ _ lspid _ owner _ cuid _; do
		[ "$owner:$cuid" = "$uid:$uid" ] || continue # yours, made by you
		((key < 0)) && key=$((key + 4294967296))
		pid=$(key_pid "$key" 12) || continue
		[ "$lspid" = 0 ] || [ "$lspid" = "$pid" ] || continue
		what=$(printf 'System V message queue msqid %s, key 0x%08x (12-copy-bench msg, pid %s)' \
			"$msqid" "$key" "$pid")
		why=
		pid_state "$pid"
		case $? in
		0) why="pid $pid is running" ;;
		2) continue ;;
		esac
		sysv_object "$what" -q "$msqid" "$why"
	done < <(tail -n +2 /proc/sysvipc/msg)
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
