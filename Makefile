# ssogw - hand-written, non-recursive Makefile.
#
#   make            build ./ssogw (runs autoreconf and configure when needed)
#   make check      install missing packages, build, run every test
#   make demo       install missing packages, build, run the demo
#   make bench      benchmarks (ratios against peers, measured in one run)
#   make install    PREFIX/DESTDIR/sysconfdir aware
#   make clean / distclean
#
# Objects go under build/: build/obj for the daemon, build/asan for the
# unit tests (AddressSanitizer + UBSan), build/clang for the clang warning
# pass.  Everything in src/ but main.c is one static library that the daemon
# and every test link.

MAKEFLAGS += --no-builtin-rules
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

NOCONF_GOALS := clean distclean deps-check deps-demo deps-bench format
ifeq ($(filter-out $(NOCONF_GOALS),$(or $(MAKECMDGOALS),all)),)
else
include config.mk
endif

# Before configure can run, the build dependencies must be installed.
config.mk: configure.ac config.mk.in
	sh scripts/deps.sh build
	autoreconf -fi
	./configure

# `make install PREFIX=/usr sysconfdir=/etc` (or the same to ./configure).
PREFIX ?= $(prefix)
DESTDIR ?=
SBINDIR := $(PREFIX)/sbin
MANDIR := $(PREFIX)/share/man
UNITDIR := $(PREFIX)/lib/systemd/system
SYSCONFDIR := $(sysconfdir)

MODULES := conf http session jose saml sso gate net
SRC_LIB := $(wildcard lib/*.c) $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c)) \
	$(filter-out src/main.c,$(wildcard src/*.c))
SRC_MAIN := src/main.c
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/t_*.c))
TOOLS := $(patsubst tests/tools/%.c,%,$(wildcard tests/tools/*.c))

WARN := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla
INCLUDES := -I. -Ilib -Isrc $(foreach m,$(MODULES),-Isrc/$(m))
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DSG_SYSCONFDIR='"$(SYSCONFDIR)"' $(INCLUDES) $(DEP_CFLAGS)
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(BASE_CFLAGS) $(WARN) $(CFLAGS) -fstack-protector-strong -D_FORTIFY_SOURCE=2
ASAN_CFLAGS := $(BASE_CFLAGS) $(WARN) -O1 -g -fsanitize=address,undefined -DSG_SRCDIR='"$(CURDIR)"' \
	-fno-sanitize-recover=all -fno-omit-frame-pointer $(CMOCKA_CFLAGS)
LDFLAGS ?=

# Quiet by default; `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

OBJ := $(patsubst %.c,build/obj/%.o,$(SRC_LIB))
ASAN_OBJ := $(patsubst %.c,build/asan/%.o,$(SRC_LIB))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := $(BASE_CFLAGS) $(WARN) -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all
FUZZ_OBJ := $(patsubst %.c,build/fuzz/%.o,$(SRC_LIB))
CLANG_CHECK := $(patsubst %.c,build/clang/%.ok,$(SRC_LIB) $(SRC_MAIN) \
	$(wildcard tests/unit/*.c tests/tools/*.c tests/daemon/*.c))

.PHONY: all check demo bench install clean distclean deps-check deps-demo deps-bench unit tools \
	fuzz clang-check format

all: ssogw

config.h: config.mk
	@test -f $@ || ./configure

# The compiled-in default config path follows sysconfdir: rebuild main.o
# whenever it changes.
build/sysconfdir.stamp: FORCE
	@mkdir -p build
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' > $@
build/obj/src/main.o build/clang/src/main.ok: build/sysconfdir.stamp
.PHONY: FORCE
FORCE:

build/obj/%.o: %.c config.h
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

build/asan/%.o: %.c config.h
	@mkdir -p $(@D)
	$(call say,CC-ASAN,$<)
	$(Q)$(CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

build/fuzz/%.o: %.c config.h
	@mkdir -p $(@D)
	$(call say,CC-FUZZ,$<)
	$(Q)clang $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

build/clang/%.ok: %.c config.h
	@mkdir -p $(@D)
	$(call say,CLANG,$<)
	$(Q)clang $(BASE_CFLAGS) $(WARN) $(CMOCKA_CFLAGS) -fsyntax-only $<
	@touch $@

build/libssogw.a: $(OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/asan/libssogw.a: $(ASAN_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/fuzz/libssogw.a: $(FUZZ_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

# libFuzzer targets, one per parser of untrusted input (make check runs each
# for a bounded number of inputs over its seed corpus in tests/fuzz/corpus).
build/fuzz/%: build/fuzz/tests/fuzz/%.o build/fuzz/libssogw.a
	$(call say,LINK,$@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(DEP_LIBS)

ssogw: build/obj/src/main.o build/libssogw.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# The daemon the integration tests run: the same library, plus the
# test-only sign-in of tests/daemon (an IdP of type test), which the
# installed ./ssogw does not contain.
build/test/src/main.o: src/main.c config.h build/sysconfdir.stamp
	@mkdir -p $(@D)
	$(call say,CC,$< [test])
	$(Q)$(CC) $(ALL_CFLAGS) -DSG_TEST_BUILD -MMD -MP -c $< -o $@

build/ssogw-test: build/test/src/main.o $(patsubst %.c,build/obj/%.o,$(wildcard tests/daemon/*.c)) \
		build/libssogw.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

# Unit tests: cmocka, built and run with AddressSanitizer and UBSan.
build/asan/tests/%: build/asan/tests/unit/%.o build/asan/libssogw.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(ASAN_CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(DEP_LIBS)

build/tools/%: build/obj/tests/tools/%.o build/libssogw.a
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(DEP_LIBS)

unit: $(addprefix build/asan/tests/,$(UNIT_TESTS))
tools: $(addprefix build/tools/,$(TOOLS)) build/ssogw-test
fuzz: $(addprefix build/fuzz/,$(FUZZ_TARGETS))
clang-check: $(CLANG_CHECK)

deps-check:
	@sh scripts/deps.sh check
deps-demo:
	@sh scripts/deps.sh demo
deps-bench:
	@sh scripts/deps.sh bench

check: deps-check
	$(MAKE) all unit tools fuzz clang-check
	sh tests/run.sh

demo: deps-demo
	$(MAKE) all
	sh scripts/demo.sh

bench: deps-bench
	$(MAKE) all tools
	sh tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/ssogw \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR)
	install -m 0755 ssogw $(DESTDIR)$(SBINDIR)/ssogw
	# The unit runs as a dynamic user in group ssl-cert: let it read the file.
	test -e $(DESTDIR)$(SYSCONFDIR)/ssogw/ssogw.conf || \
		install -m 0640 $$(getent group ssl-cert >/dev/null && echo -g ssl-cert) \
		etc/ssogw.conf $(DESTDIR)$(SYSCONFDIR)/ssogw/ssogw.conf
	sed 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' systemd/ssogw.service \
		> $(DESTDIR)$(UNITDIR)/ssogw.service
	install -m 0644 man/ssogw.8 $(DESTDIR)$(MANDIR)/man8/ssogw.8
	install -m 0644 man/ssogw.conf.5 $(DESTDIR)$(MANDIR)/man5/ssogw.conf.5

clean:
	rm -rf build ssogw

distclean: clean
	rm -rf config.mk config.h config.log config.status configure config.h.in \
		aclocal.m4 autom4te.cache config.h.in~

# Header dependencies of every object built so far, tests included.
-include $(shell find build -name '*.d' 2>/dev/null)

format:
	clang-format -i $$(find lib src tests -name '*.[ch]' -not -path 'tests/run/*')
