#!/usr/bin/env bats
# The header's "Calls:" line lists the calls in that lab, so a student can find
# each one there (STYLE.md): every name on it must be called in the lab's own
# sources, as name( or through its wrapper Name(. tests/calls.sh says how the
# line is read. One test per lab, and a lab without its test fails the one
# after them; the fixtures at the end check the checker.

load helper
bats_require_minimum_version 1.5.0

setup() {
	shmlab_setup
	cd "$BATS_TEST_DIRNAME/.." || exit 1
}

# Check the lab numbered $1 (skipped if there is none).
check_lab() {
	local dirs=(labs/"$1"-*/)
	[ -d "${dirs[0]}" ] || skip "no lab $1"
	run tests/calls.sh "${dirs[@]}"
	assert_success
	refute_output --partial FAIL
}

@test "01: every call on the Calls line is made in the lab" { check_lab 01; }
@test "02: every call on the Calls line is made in the lab" { check_lab 02; }
@test "03: every call on the Calls line is made in the lab" { check_lab 03; }
@test "04: every call on the Calls line is made in the lab" { check_lab 04; }
@test "05: every call on the Calls line is made in the lab" { check_lab 05; }
@test "06: every call on the Calls line is made in the lab" { check_lab 06; }
@test "07: every call on the Calls line is made in the lab" { check_lab 07; }
@test "08: every call on the Calls line is made in the lab" { check_lab 08; }
@test "09: every call on the Calls line is made in the lab" { check_lab 09; }
@test "10: every call on the Calls line is made in the lab" { check_lab 10; }
@test "11: every call on the Calls line is made in the lab" { check_lab 11; }
@test "12: every call on the Calls line is made in the lab" { check_lab 12; }
@test "13: every call on the Calls line is made in the lab" { check_lab 13; }
@test "14: every call on the Calls line is made in the lab" { check_lab 14; }
@test "15: every call on the Calls line is made in the lab" { check_lab 15; }
@test "16: every call on the Calls line is made in the lab" { check_lab 16; }
@test "17: every call on the Calls line is made in the lab" { check_lab 17; }

# A new lab cannot go unchecked: each labs/NN-* needs its line above, and until
# it has one, this test fails and checks it here.
@test "every lab in labs/ has its test above" {
	local d n missing=()
	for d in labs/[0-9][0-9]-*/; do
		n=${d#labs/}
		n=${n%%-*}
		grep -q "^@test \"$n: every call on the Calls line is made in the lab\" { check_lab $n; }\$" \
			"$BATS_TEST_FILENAME" || missing+=("$d")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	run tests/calls.sh "${missing[@]}"
	fail "no test in calls.bats for ${missing[*]}; calls.sh says: $output"
}

# ---- the checker itself ----

# A made-up lab 99-demo whose main file is the header given on stdin, then CODE.
demo_lab() {
	local dir=$BATS_TEST_TMPDIR/labs/99-demo
	mkdir -p "$dir"
	{ cat; printf '%s\n' "$1"; } >"$dir/demo.c"
	echo "$dir"
}

@test "calls: notes, wrappers, continuation lines and the next label" {
	local dir
	dir=$(demo_lab 'int main(void) { Sem_open(n, 0); Fork(); mmap(0, 1); return atomic_fetch_add(&x, 1); }' <<-'EOF'
		/*
		 * 99-demo - a made-up lab.
		 *
		 * Calls: sem_open (O_CREAT|O_EXCL,
		 *        0600), fork; mmap (MAP_SHARED)
		 *        atomic_fetch_add.
		 * Knobs: -y yields (not_called either).
		 */
	EOF
	)
	run -0 tests/calls.sh --list "$dir"
	assert_output "$(printf '%s\n' sem_open fork mmap atomic_fetch_add)"
	run -0 tests/calls.sh "$dir"
	assert_output "ok   $dir/demo.c: sem_open fork mmap atomic_fetch_add"
}

@test "calls: a phrase instead of calls fails, naming its words" {
	local dir
	dir=$(demo_lab 'int main(void) { return sem_wait(s); }' <<-'EOF'
		/*
		 * Calls: sem_wait; the rest as in 09.
		 *
		 */
	EOF
	)
	run -1 tests/calls.sh "$dir"
	assert_output --partial "FAIL $dir/demo.c: the Calls line names what $dir does not call: the rest as in"
}

@test "calls: a name in a comment or a string is not a call" {
	local dir
	dir=$(demo_lab 'int main(void) { /* shm_open(n) */ puts("shm_unlink(n)"); return fork(); }' <<-'EOF'
		/*
		 * Calls: fork, shm_open, shm_unlink.
		 */
	EOF
	)
	run -1 tests/calls.sh "$dir"
	assert_output --partial "does not call: shm_open shm_unlink"
}

@test "calls: the other sources of the lab count; other labs and common/ do not" {
	local dir
	dir=$(demo_lab 'int main(void) { return helper(); }' <<-'EOF'
		/*
		 * Calls: helper, sem_post, ipc_name.
		 */
	EOF
	)
	printf 'int helper(void) { return sem_post(s); }\n' >"$dir/helper.c"
	run -1 tests/calls.sh "$dir"
	assert_output --partial "does not call: ipc_name"
}

@test "calls: no Calls line, no main file, unpaired parentheses fail" {
	local dir
	dir=$(demo_lab 'int main(void) { return 0; }' <<-'EOF'
		/*
		 * 99-demo - no calls named.
		 */
	EOF
	)
	run -1 tests/calls.sh "$dir"
	assert_output "FAIL $dir/demo.c: no \" * Calls:\" line in its header comment"
	printf '/*\n * Calls: fork (note\n */\nint main(void) { return fork(); }\n' >"$dir/demo.c"
	run -1 tests/calls.sh "$dir"
	assert_output --partial "FAIL $dir/demo.c: unpaired parenthesis"
	mv "$dir/demo.c" "$dir/other.c"
	run -1 tests/calls.sh "$dir"
	assert_output "FAIL $dir: no main file $dir/demo.c"
}
