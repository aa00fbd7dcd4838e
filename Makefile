# shmlab - build every lab in labs/NN-topic/ into bin/NN-topic.
#
#   make            build all labs (make -j works)
#   make demo       build, then the tour: every lab in order with small counts
#   make test       the bats test suite (installs its helper libraries if missing)
#   make check      gcc and clang -Werror builds, the suite under ASan+UBSan,
#                   on musl, under valgrind and on one core (that pass with a
#                   storm of 200 random signals, tests/storm.sh, where make
#                   test sends 24), cppcheck and shellcheck
#   make clean      remove bin/ and build/
#
# CC, CFLAGS, LDFLAGS and LDLIBS may be overridden as usual.

CC      ?= cc
CFLAGS  ?= -O2 -g
LDLIBS  ?=
# What every lab needs, whatever CFLAGS says: C11, POSIX.1-2008, warnings on.
STD     := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -pthread
ALL_CFLAGS = $(STD) -Icommon $(CFLAGS)

# Where this build goes: make check builds variants elsewhere.
BUILD ?= build
BIN   ?= bin

LABS  := $(notdir $(wildcard labs/[0-9][0-9]-*))
PROGS := $(addprefix $(BIN)/,$(LABS))
LIB   := $(BUILD)/libunpipc.a
LIBOBJS := $(patsubst common/%.c,$(BUILD)/common/%.o,$(wildcard common/*.c))

.PHONY: all demo test check clean
all: $(PROGS)

# common/'s own files also include internal.h: what they share that no lab calls.
$(BUILD)/common/%.o: common/%.c common/unpipc.h common/internal.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The archive is made anew when its list of members changes, so that the object
# of a source that was removed (say, after a git pull) does not linger in it.
$(BUILD)/common/members: FORCE
	@mkdir -p $(@D)
	@echo '$(LIBOBJS)' | cmp -s - $@ 2>/dev/null || echo '$(LIBOBJS)' >$@

$(LIB): $(LIBOBJS) $(BUILD)/common/members
	rm -f $@
	$(AR) rcs $@ $(LIBOBJS)

.PHONY: FORCE
FORCE:

.SECONDEXPANSION:
$(BIN)/%: $$(wildcard labs/%/*.c) $$(wildcard labs/%/*.h) common/unpipc.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIB) $(LDLIBS)

demo: all
	@tests/demo.sh

test: all
	@tests/run

# The strict checks, each a target of its own so one can be rerun alone:
#   check-build     gcc and clang, -Werror
#   check-san       the suite on an AddressSanitizer + UBSan build
#   check-musl      the suite on a musl build (musl-gcc), with the slow
#                   scenarios for every lab (SHMLAB_SLOW=1; make test runs
#                   each for one lab: slow_scenario in tests/helper.bash)
#   check-valgrind  the suite with every lab under valgrind memcheck
#   check-one-core  the suite pinned to one CPU (taskset -c 0), its signal
#                   storm (tests/storm.bats) 200 runs long
#   check-lint      cppcheck and shellcheck
# Missing tools are installed from Debian's packages when run as root.
.PHONY: check-build check-san check-musl check-valgrind check-one-core check-lint soak
check: check-build check-san check-musl check-valgrind check-one-core check-lint

WERROR := -O2 -Werror
check-build:
	@tests/need.sh clang clang
	$(MAKE) --no-print-directory BUILD=build/gcc BIN=build/gcc/bin CC=gcc CFLAGS="$(WERROR)"
	$(MAKE) --no-print-directory BUILD=build/clang BIN=build/clang/bin CC=clang CFLAGS="$(WERROR)"

SAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
check-san:
	$(MAKE) --no-print-directory BUILD=build/san BIN=build/san/bin CC=gcc CFLAGS="$(SAN) -Werror"
	SHMLAB_BIN=build/san/bin SHMLAB_SANITIZED=1 tests/run

check-musl:
	@tests/need.sh musl-gcc musl-tools
	$(MAKE) --no-print-directory BUILD=build/musl BIN=build/musl/bin CC=musl-gcc CFLAGS="$(WERROR)"
	CC=musl-gcc SHMLAB_BIN=build/musl/bin SHMLAB_SLOW=1 tests/run # CC: test helpers must share the labs' struct layout

check-valgrind:
	@tests/need.sh valgrind valgrind
	$(MAKE) --no-print-directory BUILD=build/vg BIN=build/vg/bin CFLAGS="-O1 -g"
	tests/valgrind-bin.sh build/vg/bin build/vg/wrap
	SHMLAB_BIN=build/vg/wrap SHMLAB_VALGRIND=1 tests/run

STORM_RUNS ?= 200
# two test files at once on the one CPU, as on two (nproc says 1 here): most of
# a test's time is waiting, and one CPU shared by more is what this pass is for
check-one-core: all
	SHMLAB_JOBS=2 SHMLAB_STORM_RUNS=$(STORM_RUNS) taskset -c 0 tests/run

check-lint:
	@tests/need.sh cppcheck cppcheck
	@tests/need.sh shellcheck shellcheck
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 --inline-suppr -Icommon -D_POSIX_C_SOURCE=200809L common labs tests
	shellcheck -x tests/run tests/*.sh labs/tools/*.sh .ci/run
	shellcheck -x -s bash tests/*.bats tests/*.bash

# The whole suite SOAK times in a row (tests/soak.sh), each run beside HOGS CPU-bound
# processes and, with SOAK_USER (root only), a throwaway user running it at the same
# moment: a busy shared server. Every run's log is kept in build/soak/.
SOAK ?= 20
soak: all
	@tests/soak.sh $(strip -n $(SOAK) $(if $(HOGS),-H $(HOGS)) $(if $(SOAK_USER),-u $(SOAK_USER)))

clean:
	rm -rf $(BIN) $(BUILD)

# The instructor's kit (labs/tools/):
#   make race [LAB=02] [N=20] [ARGS="-q 1000000"]  lost updates over N runs, in one line
#   make timeline [ARGS="-y -v 8"]   lab 02's trace drawn as $(BUILD)/timeline.svg
#   make diff A=02 B=03 [CODE=1] [NEW=1]
#                                    what lab B changes in lab A, as diff -u file by
#                                    file; a file only one lab has is named, not shown
#                                    (CODE=1: without the header comments; NEW=1:
#                                    such files whole)
#   make clean-ipc [DRY=1]           remove (DRY=1: list) your leftover shmlab objects
.PHONY: race timeline diff clean-ipc
all: $(BIN)/timeline $(BIN)/bench

$(BIN)/timeline: labs/tools/timeline.c common/unpipc.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# The benchmark of lab 12 (make bench): it runs each method's program beside it,
# from the one table of methods, which lab 12's --methods reads too.
$(BIN)/bench: labs/tools/bench.c labs/tools/bench-methods.h common/unpipc.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)
$(BIN)/12-copy-bench: labs/tools/bench-methods.h

race: $(filter $(BIN)/$(or $(LAB),02)-%,$(PROGS))
	@labs/tools/race-stats.sh -b $(BIN) -n $(or $(N),20) $(or $(LAB),02) $(or $(ARGS),-q 1000000)

timeline: $(BIN)/02-shared-race $(BIN)/timeline
	@mkdir -p $(BUILD)
	$(BIN)/02-shared-race $(or $(ARGS),-y -v 8) >$(BUILD)/timeline.trace
	$(BIN)/timeline <$(BUILD)/timeline.trace >$(BUILD)/timeline.svg
	@echo "wrote $(BUILD)/timeline.svg"

diff:
	@labs/tools/lab-diff.sh $(if $(CODE),--code) $(if $(NEW),--new) "$(A)" "$(B)"

clean-ipc:
	@labs/tools/clean-ipc.sh $(if $(DRY),-n)

# The benchmark of lab 12, made a report by labs/tools/bench-report.sh: every
# method timed by bin/bench, 256 MiB and 1 GiB, the chunk and slot sweep, and the
# round-trip latency of lab 16's pingpong, as Markdown and SVG in $(BUILD)/bench/.
# A few minutes (docs/12-copy-bench.md says how many); the figures mean something
# only on an otherwise idle machine.
.PHONY: bench
BENCH := labs/tools/bench-report.sh --bin $(BIN)
bench: all
	@mkdir -p $(BUILD)/bench
	$(BENCH) -n 256 --svg $(BUILD)/bench/bench-copy.svg >$(BUILD)/bench/bench.md
	$(BENCH) -n 1024 -r 3 --svg $(BUILD)/bench/bench-copy-1g.svg >>$(BUILD)/bench/bench.md
	$(BENCH) --sweep -n 64 -r 3 >>$(BUILD)/bench/bench.md
	$(BENCH) --latency --svg $(BUILD)/bench/bench-latency.svg >>$(BUILD)/bench/bench.md
	@cat $(BUILD)/bench/bench.md
	@echo "wrote $(BUILD)/bench/bench.md and $(BUILD)/bench/*.svg"
