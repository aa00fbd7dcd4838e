#!/usr/bin/env bats
# The guides cannot drift from the programs: every ```console block in README.md
# and docs/*.md is run and its output compared (tests/doctest.sh says how; "..."
# masks what varies). One test per guide; a failure names the file and line of
# each block that differed, with the command, the expected and the actual output.
# Every ```diff block is an excerpt of `make diff` and checked against it.
# The fixtures at the end check the checker: it must fail when it should.
#
# The guides show what a student sees on a quiet machine: clean-ipc lists every
# System V segment of 08 of the user's, and ipcs every segment, so another test
# file's at the same moment would show up in them.
# tests/run: alone

load helper
bats_require_minimum_version 1.5.0

setup() {
	shmlab_setup
	cd "$BATS_TEST_DIRNAME/.." || exit 1
}

# Run the console blocks of the files given (a glob that matched nothing is skipped).
check_guides() {
	local f files=()
	for f in "$@"; do
		[ -f "$f" ] && files+=("$f")
	done
	[ ${#files[@]} -gt 0 ] || skip "${1:-no such guide}: not written yet"
	run tests/doctest.sh "${files[@]}"
	assert_success
	refute_output --partial FAIL
	# a block that cannot run here (```console needs: ...): every other one ran as shown
	local skipped
	skipped=$(grep '^SKIP ' <<<"$output" | cut -c6- | paste -sd ';' -) || true
	[ -z "$skipped" ] || skip "$skipped (the other blocks ran as shown)"
}

@test "README.md: every console block runs as shown" { check_guides README.md; }
@test "docs/01-*.md: every console block runs as shown" { check_guides docs/01-*.md; }
@test "docs/02-*.md: every console block runs as shown" { check_guides docs/02-*.md; }
@test "docs/03-*.md: every console block runs as shown" { check_guides docs/03-*.md; }
@test "docs/04-*.md: every console block runs as shown" { check_guides docs/04-*.md; }
@test "docs/05-*.md: every console block runs as shown" { check_guides docs/05-*.md; }
@test "docs/06-*.md: every console block runs as shown" { check_guides docs/06-*.md; }
@test "docs/07-*.md: every console block runs as shown" { check_guides docs/07-*.md; }
@test "docs/08-*.md: every console block runs as shown" { check_guides docs/08-*.md; }
@test "docs/09-*.md: every console block runs as shown" { check_guides docs/09-*.md; }
@test "docs/10-*.md: every console block runs as shown" { check_guides docs/10-*.md; }
@test "docs/11-*.md: every console block runs as shown" { check_guides docs/11-*.md; }
@test "docs/12-*.md: every console block runs as shown" { check_guides docs/12-*.md; }
@test "docs/13-*.md: every console block runs as shown" { check_guides docs/13-*.md; }
@test "docs/14-*.md: every console block runs as shown" { check_guides docs/14-*.md; }
@test "docs/15-*.md: every console block runs as shown" { check_guides docs/15-*.md; }
@test "docs/16-*.md: every console block runs as shown" { check_guides docs/16-*.md; }
@test "docs/17-*.md: every console block runs as shown" { check_guides docs/17-*.md; }
@test "docs/instructor.md: every console block runs as shown" { check_guides docs/instructor.md; }

@test "docs/*.md not named above: every console block runs as shown" {
	local f others=()
	for f in docs/*.md; do
		[[ $f =~ ^docs/(0[1-9]|1[0-7])-.*\.md$|^docs/instructor\.md$ ]] || others+=("$f")
	done
	check_guides "${others[@]}"
}

# The "used by" column of docs/common.md's tables: the labs named before any ";"
# are exactly those whose sources call the function (or use the constant).
@test "docs/common.md: every \"used by\" column names the labs that use it" {
	local row name col doc re got bad=()
	while IFS= read -r row; do
		name=$(sed -E 's/^\| `([A-Za-z_]+).*/\1/' <<<"$row")
		col=$(sed -E 's/ \|[[:space:]]*$//; s/.* \| //' <<<"$row")
		doc=$(sed -E 's/;.*//; s/^common\/:.*//; s/ \([^)]*\)//g' <<<"$col")
		if [[ $row =~ ^\|\ \`[A-Za-z_]+\( ]]; then re="\\b${name}[[:space:]]*\\("; else re="\\b$name\\b"; fi
		got=$(grep -lE -- "$re" labs/[0-9][0-9]-*/*.[ch] | sed -E 's|^labs/([0-9]+)-.*|\1|' | sort -u |
			awk '{ a[n++] = $1 } END {
				for (i = 0; i < n; i = j + 1) {
					for (j = i; j + 1 < n && a[j + 1] == a[j] + 1; j++) ;
					s = j == i ? a[i] : j == i + 1 ? a[i] ", " a[j] : a[i] "-" a[j]
					out = out (out == "" ? "" : ", ") s
				}
				print out }')
		[ "$got" = "$doc" ] || bad+=("$name: the guide says '$doc', the sources say '$got'")
	done < <(grep -E '^\| `[A-Za-z_]+' docs/common.md)
	[ ${#bad[@]} -eq 0 ] || fail "$(printf '%s\n' "${bad[@]}")"
}

# ---- the checker itself ----

@test "doctest: matching output passes, block by block" {
	run -0 tests/doctest.sh tests/fixtures/doc-pass.md
	assert_output "$(printf 'ok   tests/fixtures/doc-pass.md:%s\n' 5 16 25 41 51 60)"
}

@test "doctest: a changed line fails, showing command, expected and actual" {
	run -1 tests/doctest.sh tests/fixtures/doc-fail-line.md
	assert_line "FAIL tests/fixtures/doc-fail-line.md:4: the output differs (exit status 0)"
	assert_line "    \$ printf '%s\n' a b c"
	assert_line --index 3 "  expected:"
	assert_line --index 5 "    B"
	assert_line --index 7 "  actual:"
	assert_line --index 9 "    b"
}

@test "doctest: output not shown, or shown but not printed, fails" {
	run -1 tests/doctest.sh tests/fixtures/doc-fail-extra.md
	assert_line "FAIL tests/fixtures/doc-fail-extra.md:4: the output differs (exit status 0)"
	run -1 tests/doctest.sh tests/fixtures/doc-fail-missing.md
	assert_line "FAIL tests/fixtures/doc-fail-missing.md:4: the output differs (exit status 0)"
}

@test "doctest: a mask hides only what it covers" {
	run -1 tests/doctest.sh tests/fixtures/doc-fail-mask.md
	assert_line "FAIL tests/fixtures/doc-fail-mask.md:4: the output differs (exit status 0)"
}

@test "doctest: a good block does not hide a bad one" {
	run -1 tests/doctest.sh tests/fixtures/doc-fail-second.md
	assert_line --index 0 "ok   tests/fixtures/doc-fail-second.md:3"
	assert_line --index 1 "FAIL tests/fixtures/doc-fail-second.md:9: the output differs (exit status 0)"
}

@test "doctest: a block whose need fails is skipped, saying why; the others still run" {
	run -1 tests/doctest.sh tests/fixtures/doc-needs.md
	assert_line --index 0 "SKIP tests/fixtures/doc-needs.md:3: it needs \`echo 'no namespaces here' >&2; false\`, which fails here: no namespaces here"
	assert_line --index 1 "ok   tests/fixtures/doc-needs.md:8"
	assert_line --index 2 "FAIL tests/fixtures/doc-needs.md:14: the output differs (exit status 0)"
}

@test "doctest: a hanging command fails within its timeout" {
	SECONDS=0
	DOCTEST_TIMEOUT=1 run -1 tests/doctest.sh tests/fixtures/doc-fail-timeout.md
	assert_line "FAIL tests/fixtures/doc-fail-timeout.md:4: timed out after 1 s:"
	[ "$SECONDS" -lt 20 ] || fail "took $SECONDS s"
}

@test "doctest: a block that leaves objects behind fails, and they are removed" {
	run -1 tests/doctest.sh tests/fixtures/doc-fail-leftover.md
	assert_line "FAIL tests/fixtures/doc-fail-leftover.md:3: the block left behind:"
	shm=$(sed -n 's|^    \(/dev/shm/shmlabdoc-.*\.left\)$|\1|p' <<<"$output")
	[ -n "$shm" ] || fail "the /dev/shm leftover is not listed"
	assert_not_exists "$shm"
}

@test "doctest: each matcher rule on its own" {
	local e="$BATS_TEST_TMPDIR/e" a="$BATS_TEST_TMPDIR/a"
	# expected lines | actual lines | 0 for a match, 1 for none
	while IFS='|' read -r exp act want; do
		printf '%b' "$exp" >"$e"
		printf '%b' "$act" >"$a"
		run tests/doctest.sh --match "$e" "$a"
		[ "$status" -eq "$want" ] || fail "expected '$exp' vs actual '$act': status $status, want $want"
	done <<-'EOF'
		x\n|x\n|0
		x\n|y\n|1
		x...\n|xyz\n|0
		...z\n|xyz\n|0
		a...a\n|a\n|1
		a...a\n|aa\n|0
		a...b...c\n|a-c-b-c\n|0
		a...b...c\n|a-c-c\n|1
		[*]?\n|[*]?\n|0
		[*]?\n|x?\n|1
		...\n|\n|0
		...\n|1\n2\n3\n|0
		a\n...\nb\n|a\nb\n|0
		a\n...\nb\n|a\nx\ny\nb\n|0
		a\n...\nb\n|a\nx\n|1
		a\n...\nb\n...\nb\n|a\nb\nb\n|0
		a\n...\nb\n...\nb\n|a\nb\n|1
		a  \n\n\n|a\n|0
		a\n|a\n\nb\n|1
	EOF
}

@test "doctest: --list shows the commands of console blocks only" {
	run -0 tests/doctest.sh --list tests/fixtures/doc-pass.md
	assert_line --index 0 "tests/fixtures/doc-pass.md:5: console block"
	assert_line --index 1 "  \$ echo one; echo two >&2; echo three"
	assert_line "  \$ echo \"usage: x\" >&2; \\"
	assert_line "  exit 2"
	refute_line --partial "false"
	refute_line --partial "exit 1"
}

@test "doctest: SHMLAB_BIN replaces bin/ in the commands" {
	local fake="$BATS_TEST_TMPDIR/fakebin" md="$BATS_TEST_TMPDIR/bin.md"
	mkdir -p "$fake"
	printf '#!/bin/sh\necho "fake: $*"\n' >"$fake/02-shared-race"
	chmod +x "$fake/02-shared-race"
	printf '%s\n' '```console' '$ bin/02-shared-race -h' 'fake: -h' \
		'$ true && bin/02-shared-race x | cat' 'fake: x' '```' >"$md"
	SHMLAB_BIN=$fake run -0 tests/doctest.sh "$md"
	SHMLAB_BIN=$fake run -0 tests/doctest.sh --list "$md"
	assert_line "  \$ $fake/02-shared-race -h"
	SHMLAB_BIN=bin run -1 tests/doctest.sh "$md"
}

@test "doctest: an unclosed block and bad arguments are errors" {
	local md="$BATS_TEST_TMPDIR/open.md"
	printf '%s\n' '```console' '$ echo hi' 'hi' >"$md"
	run -1 tests/doctest.sh "$md"
	assert_output --partial "a \`\`\`console block is not closed"
	run -1 tests/doctest.sh "$BATS_TEST_TMPDIR/none.md"
	assert_output --partial "no such file"
	run -2 tests/doctest.sh
	assert_output --partial "usage: doctest.sh"
	run -2 tests/doctest.sh --match one
	assert_output --partial "usage: doctest.sh --match"
}

@test "doctest: a diff excerpt passes when its lines are in make diff, in order" {
	run -0 tests/doctest.sh tests/fixtures/doc-diff-pass.md
	assert_output "$(printf 'ok   tests/fixtures/doc-diff-pass.md:%s\n' 5 16)"
}

@test "doctest: a diff excerpt fails on a changed line, a wrong order, a missing gap, unnamed or unknown labs" {
	run -1 tests/doctest.sh tests/fixtures/doc-fail-diff.md
	local f=tests/fixtures/doc-fail-diff.md
	assert_line --index 0 "ok   $f:3"
	assert_line "FAIL $f:9: not in make diff A=02 B=03, from line 1 of the excerpt:"
	assert_line "    +		Sem_wait(mutex);        /* locked */"
	assert_line "FAIL $f:15: not in make diff A=02 B=03, from line 3 of the excerpt:"
	assert_line "FAIL $f:23: not in make diff A=02 B=03, from line 1 of the excerpt:"
	assert_line "FAIL $f:30: a \`\`\`diff block names the two labs it excerpts, e.g. \`\`\`diff 01 02 (this one: '')"
	assert_line "FAIL $f:36: make diff A=02 B=98 failed:"
	assert_line --partial "lab-diff: no lab 98"
	assert_equal "$(grep -c '^FAIL' <<<"$output")" 5
}

@test "every test file that uses run -N declares bats_require_minimum_version 1.5.0" {
	local f
	for f in tests/*.bats; do
		grep -qE '(^|[[:space:]])run -[0-9!]' "$f" || continue
		grep -qx 'bats_require_minimum_version 1.5.0' "$f" || fail "$f uses run -N without bats_require_minimum_version 1.5.0"
	done
}
