# shmlab - build every lab in labs/NN-topic/ into bin/NN-topic.
#
#   make            build all labs (make -j works)
#   make demo       build, then the tour: every lab in order with small counts
#   make test       the bats test suite (installs its helper libraries if missing)
#   make check      gcc and clang -Werror builds, the suite under ASan+UBSan,
#                   cppcheck and shellcheck
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

$(BUILD)/common/%.o: common/%.c common/unpipc.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJS)
	$(AR) rcs $@ $^

.SECONDEXPANSION:
$(BIN)/%: $$(wildcard labs/%/*.c) $$(wildcard labs/%/*.h) common/unpipc.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIB) $(LDLIBS)

demo: all
	@tests/demo.sh

test: all
	@tests/run

# The strict builds: both compilers, -Werror, then the suite under sanitizers.
SAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
check:
	$(MAKE) --no-print-directory BUILD=build/gcc BIN=build/gcc/bin CC=gcc CFLAGS="-O2 -Werror"
	$(MAKE) --no-print-directory BUILD=build/clang BIN=build/clang/bin CC=clang CFLAGS="-O2 -Werror"
	$(MAKE) --no-print-directory BUILD=build/san BIN=build/san/bin CC=gcc CFLAGS="$(SAN) -Werror"
	SHMLAB_BIN=build/san/bin SHMLAB_SANITIZED=1 tests/run
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 --inline-suppr -Icommon -D_POSIX_C_SOURCE=200809L common labs tests
	shellcheck -x tests/run tests/*.sh .ci/run
	shellcheck -x -s bash tests/*.bats tests/*.bash

clean:
	rm -rf $(BIN) $(BUILD)
