#!/usr/bin/env bats
# 08-sysv-shm: System V segments by ftok key; IPC_RMID and shm_nattch.

# shellcheck disable=SC2154 # $stderr is set by run --separate-stderr
load helper
bats_require_minimum_version 1.5.0

# Each test keys its segments on its own file, so tests never meet each
# other's (or a student's) segments; teardown checks `ipcs -m` for that key
# and for every shmid a test noted in the file "shmids".
setup() {
	shmlab_setup
	cd "$BATS_TEST_TMPDIR" || return 1
	touch key
	K=(-k "$BATS_TEST_TMPDIR/key")
	KEY=$("$BIN/08-sysv-shm" key "${K[@]}" | sed 's/.* = //')
	[ -n "$KEY" ] || return 1
	: >shmids
}

teardown() {
	local segs id
	segs=$(ipcs -m | awk -v k="$KEY" '$1 == k')
	while read -r id; do
		segs+=$(ipcs -m | awk -v id="$id" '$2 == id')
	done <shmids
	if [ -n "$segs" ]; then
		ipcrm -M "$KEY" 2>/dev/null || true
		while read -r id; do ipcrm -m "$id" 2>/dev/null || true; done <shmids
	fi
	shmlab_teardown || return 1
	[ -z "$segs" ] || { fail "left in ipcs -m: $segs"; return 1; }
}

# The `ipcs -m` row of shmid ID (empty if there is none).
ipcs_row() {
	ipcs -m | awk -v id="$1" '$2 == id'
}

@test "08: key is ftok of the key file and project 8" {
	run -0 "$BIN/08-sysv-shm" key "${K[@]}"
	assert_output --regexp "^ftok\(\"$BATS_TEST_TMPDIR/key\", 8\) = 0x08[0-9a-f]{6}$"
	touch other
	run -0 "$BIN/08-sysv-shm" key -k other
	refute_output --partial "= $KEY"
	# the default key file is the home directory
	mkdir home
	run -0 env HOME="$BATS_TEST_TMPDIR/home" "$BIN/08-sysv-shm" key
	assert_equal "${output##* = }" "$("$BIN/08-sysv-shm" key -k home | sed 's/.* = //')"
}

@test "08: create makes a 0600 segment that ipcs -m lists; remove removes it" {
	run -0 "$BIN/08-sysv-shm" create "${K[@]}" 4096
	assert_output --regexp "^created segment shmid [0-9]+: 4096 bytes, key $KEY, mode 0600$"
	id=${output#created segment shmid }
	id=${id%%:*}
	echo "$id" >>shmids
	read -r key shmid _owner perms bytes nattch <<<"$(ipcs_row "$id")"
	assert_equal "$key $shmid $perms $bytes $nattch" "$KEY $id 600 4096 0"
	run -0 "$BIN/08-sysv-shm" remove "${K[@]}"
	assert_output "removed segment shmid $id (key $KEY)"
	assert_equal "$(ipcs_row "$id")" ""
}

@test "08: create on a key in use says so (exit 1)" {
	"$BIN/08-sysv-shm" create "${K[@]}" 4096
	run -1 "$BIN/08-sysv-shm" create "${K[@]}" 8192
	assert_output "08-sysv-shm: a segment with key $KEY already exists (ftok of $BATS_TEST_TMPDIR/key): remove it with: 08-sysv-shm remove -k $BATS_TEST_TMPDIR/key"
	"$BIN/08-sysv-shm" remove "${K[@]}"
}

@test "08: write then read: the pattern arrives whole; a fresh segment does not match" {
	"$BIN/08-sysv-shm" create "${K[@]}" 10000
	id=$(ipcs -m | awk -v k="$KEY" '$1 == k { print $2 }')
	run -1 "$BIN/08-sysv-shm" read "${K[@]}"
	assert_output "08-sysv-shm: shmid $id: first mismatch at offset 0: expected 0x01, found 0x00"
	run -0 "$BIN/08-sysv-shm" write "${K[@]}"
	assert_output "wrote the pattern into all 10000 bytes of shmid $id"
	run -0 "$BIN/08-sysv-shm" read "${K[@]}"
	assert_output "all 10000 bytes of shmid $id match the pattern (nattch=1: us)"
	"$BIN/08-sysv-shm" remove "${K[@]}"
}

@test "08: info shows the shmid_ds fields ipcs -m shows" {
	"$BIN/08-sysv-shm" create "${K[@]}" 4096
	"$BIN/08-sysv-shm" write "${K[@]}"
	id=$(ipcs -m | awk -v k="$KEY" '$1 == k { print $2 }')
	run -0 "$BIN/08-sysv-shm" info "${K[@]}"
	assert_equal "${#lines[@]}" 11
	assert_line --index 0 "key:    $KEY (ftok of $BATS_TEST_TMPDIR/key, 8)"
	assert_line --index 1 "shmid:  $id"
	assert_line --index 2 "owner:  $(id -un) (uid $(id -u)), group $(id -gn) (gid $(id -g))"
	assert_line --index 3 "perms:  600"
	assert_line --index 4 "bytes:  4096"
	assert_line --index 5 "nattch: 0"
	assert_line --index 6 --regexp '^cpid:   [1-9][0-9]* \(created it\)$'
	assert_line --index 7 --regexp '^lpid:   [1-9][0-9]* \(last shmat or shmdt\)$'
	assert_line --index 8 --regexp '^atime:  [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +\(last shmat\)$'
	assert_line --index 9 --regexp '^dtime:  [0-9]{4}-.* +\(last shmdt\)$'
	assert_line --index 10 --regexp '^ctime:  [0-9]{4}-.* +\(created or last changed\)$'
	"$BIN/08-sysv-shm" remove "${K[@]}"
	# a segment never attached has no atime
	"$BIN/08-sysv-shm" create "${K[@]}" 1
	run -0 "$BIN/08-sysv-shm" info "${K[@]}"
	assert_line --index 8 "atime:  never                (last shmat)"
	"$BIN/08-sysv-shm" remove "${K[@]}"
}

@test "08: the default key file is the home directory" {
	mkdir home
	export HOME="$BATS_TEST_TMPDIR/home"
	home_key=$("$BIN/08-sysv-shm" key | sed 's/.* = //')
	# teardown looks for this test's segments by shmid
	run -0 "$BIN/08-sysv-shm" create 100
	assert_output --regexp "^created segment shmid [0-9]+: 100 bytes, key $home_key, mode 0600$"
	id=${output#created segment shmid }
	echo "${id%%:*}" >>shmids
	run -0 "$BIN/08-sysv-shm" info -k "$HOME"
	assert_line --index 0 "key:    $home_key (ftok of $HOME, 8)"
	run -0 "$BIN/08-sysv-shm" remove
	assert_output "removed segment shmid ${id%%:*} (key $home_key)"
}

@test "08: a missing segment or key file is a runtime error (exit 1)" {
	for cmd in write read info remove; do
		run -1 "$BIN/08-sysv-shm" "$cmd" "${K[@]}"
		assert_output "08-sysv-shm: no shared memory segment with key $KEY (ftok of $BATS_TEST_TMPDIR/key): create it first"
	done
	run -1 "$BIN/08-sysv-shm" create -k nosuch 4096
	assert_output "08-sysv-shm: ftok nosuch: No such file or directory"
}

@test "08: remove while attached: the reader keeps reading; the segment goes at its shmdt" {
	"$BIN/08-sysv-shm" create "${K[@]}" 4096
	"$BIN/08-sysv-shm" write "${K[@]}"
	id=$(ipcs -m | awk -v k="$KEY" '$1 == k { print $2 }')
	echo "$id" >>shmids
	"$BIN/08-sysv-shm" read -w 3 "${K[@]}" >reader.out 2>&1 &
	rpid=$!
	for _ in $(seq 50); do
		grep -q "staying attached" reader.out && break
		sleep 0.1
	done
	run -0 "$BIN/08-sysv-shm" remove "${K[@]}"
	assert_output "removed segment shmid $id (key $KEY)
1 attachment(s) remain: it is destroyed when the last one detaches"
	# marked: the key is free again (ipcs shows 0x00000000), status "dest", nattch 1
	read -r key _ _ _ _ nattch status <<<"$(ipcs_row "$id")"
	assert_equal "$key $nattch $status" "0x00000000 1 dest"
	wait "$rpid"
	run cat reader.out
	assert_output "all 4096 bytes of shmid $id match the pattern (nattch=1: us)
staying attached for 3 s
all 4096 bytes of shmid $id match the pattern (nattch=1: us)"
	assert_equal "$(ipcs_row "$id")" ""
}

@test "08: rmid: nattch at each step, the segment gone at the last shmdt" {
	run -0 "$BIN/08-sysv-shm" rmid
	id=$(sed -n '1s/.*shmid \([0-9]*\),.*/\1/p' <<<"$output")
	echo "$id" >>shmids
	# its key: the lab's number, then the pid (make clean-ipc tells it by these)
	assert_line --index 0 --regexp "^nattch=0  parent: shmget\(0x08[0-9a-f]{6}\): shmid $id, 4096 bytes$"
	assert_output "${lines[0]}
nattch=1  parent: shmat, stores \"written before IPC_RMID\"
nattch=2  child:  fork() gave the child the parent's attachment
nattch=1  child:  shmdt
nattch=1  child:  shmctl(IPC_RMID): marked for removal; ipcs -m shows it as \"dest\"
nattch=1  parent: still reads \"written before IPC_RMID\"
gone      parent: shmdt, the last attachment: shmctl(IPC_STAT) fails: Invalid argument"
}

@test "08: SIGINT and SIGTERM mid-step leave no segment" {
	# the signal comes once the program has printed so many steps, however
	# slowly it runs (valgrind takes seconds to start it)
	local sig steps
	for at in "INT 1" "TERM 1" "INT 3" "TERM 3" "INT 5"; do
		read -r sig steps <<<"$at"
		interrupt_midrun "$sig" "lines:$steps" "$BIN/08-sysv-shm" rmid -w 1
		id=$(sed -n '1s/.*shmid \([0-9]*\),.*/\1/p' "$BATS_TEST_TMPDIR/out")
		[ -n "$id" ] || fail "no shmid in: $(cat "$BATS_TEST_TMPDIR/out")"
		echo "$id" >>shmids
		assert_equal "$(ipcs_row "$id")" ""
	done
}

@test "08: SIGTERM while attached leaves the user's segment, detached" {
	"$BIN/08-sysv-shm" create "${K[@]}" 4096
	"$BIN/08-sysv-shm" write "${K[@]}"
	interrupt_midrun TERM 0.5 "$BIN/08-sysv-shm" read -w 30 "${K[@]}"
	run -0 "$BIN/08-sysv-shm" info "${K[@]}"
	assert_line --index 5 "nattch: 0"
	"$BIN/08-sysv-shm" remove "${K[@]}"
}

@test "08: bad arguments are usage errors (exit 2)" {
	run -2 "$BIN/08-sysv-shm"
	assert_usage_error "missing subcommand"
	run -2 "$BIN/08-sysv-shm" unlink
	assert_usage_error "unknown subcommand 'unlink'"
	run -2 "$BIN/08-sysv-shm" create "${K[@]}"
	assert_usage_error "create: missing SIZE"
	run -2 "$BIN/08-sysv-shm" create "${K[@]}" 0
	assert_usage_error "SIZE '0' is out of range"
	run -2 "$BIN/08-sysv-shm" create "${K[@]}" 1M
	assert_usage_error "SIZE '1M' is not a number"
	run -2 "$BIN/08-sysv-shm" create "${K[@]}" 2000000000
	assert_usage_error "SIZE '2000000000' is out of range"
	run -2 "$BIN/08-sysv-shm" create 10 20
	assert_usage_error "create: unexpected argument '20'"
	run -2 "$BIN/08-sysv-shm" write 10
	assert_usage_error "write: unexpected argument '10'"
	run -2 "$BIN/08-sysv-shm" info -k
	assert_usage_error "option -k needs a PATH"
	run -2 "$BIN/08-sysv-shm" info -k ""
	assert_usage_error "option -k needs a PATH"
	run -2 "$BIN/08-sysv-shm" info -w 3
	assert_usage_error "info: unknown option '-w'"
	run -2 "$BIN/08-sysv-shm" rmid "${K[@]}"
	assert_usage_error "rmid: unknown option '-k'"
	run -2 "$BIN/08-sysv-shm" read -w x
	assert_usage_error "SECONDS 'x' is not a number"
}

@test "08: -h prints the usage on stdout and exits 0" {
	run --separate-stderr -0 "$BIN/08-sysv-shm" -h
	assert_output "usage: 08-sysv-shm key|write|info|remove [-k PATH] | create [-k PATH] SIZE | read [-k PATH] [-w SECONDS] | rmid [-w SECONDS]"
	assert_equal "$stderr" ""
}

@test "08: a signal while rmid makes its segment leaves nothing" {
	# the shmget that creates it is held before it returns
	start_delayed shmget 3 "" "$BIN/08-sysv-shm" rmid
	local id=
	for _ in $(seq 100); do
		id=$(awk -v pid="$pid" 'NR > 1 && $5 == pid { print $2 }' /proc/sysvipc/shm)
		[ -z "$id" ] || break
		sleep 0.1
	done
	[ -n "$id" ] || fail "no segment created by pid $pid"
	echo "$id" >>shmids
	kill -INT "$pid"
	finish_delayed
	assert_equal "$status" 130
	assert_equal "$(ipcs_row "$id")" ""
}
