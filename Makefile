# SPDX-License-Identifier: GPL-2.0-only
# latgov: one Makefile for the BPF objects, the loader, the tools and the tests.
#
#   make            build latgov, loadgen and the demo service
#   make test       unit tests (cmocka) and root integration tests; ends with "N passed, N failed, N skipped"
#   make demo       the end-to-end demo (root)
#   make bench      benchmarks (root), writes tools/bench/results.md
#   make install    DESTDIR=, PREFIX= (default /usr/local)
#   make deps       installs missing Debian packages; a no-op when all are present
#
# V=1 shows commands, SANITIZE=1 builds with ASan+UBSan, VMLINUX_BTF= picks another BTF file.

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:


BUILD       ?= build
PREFIX      ?= /usr/local
DESTDIR     ?=
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
CC          ?= cc
CLANG       ?= clang
BPFTOOL     ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
PKG_CONFIG  ?= pkg-config
# The default build puts latgov at the top of the tree (sudo ./latgov check);
# another BUILD= folder keeps its own copy, so parallel builds do not collide.
LATGOV_BIN  ?= $(if $(filter build,$(BUILD)),latgov,$(BUILD)/latgov)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Tests and the demo need the packages; "make deps" is cheap when they are present.
# NO_DEPS=1 skips it (used by recursive calls that already ran it).
ifneq ($(NO_DEPS),1)
DEPS_PREREQ := deps
endif

USER_PKGS   := libbpf libelf zlib yaml-0.1 libmicrohttpd
USER_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(USER_PKGS) 2>/dev/null)
USER_LIBS   := $(shell $(PKG_CONFIG) --libs $(USER_PKGS) 2>/dev/null) -lm
CORE_LIBS   := $(shell $(PKG_CONFIG) --libs zlib yaml-0.1 libelf 2>/dev/null) -lm
TEST_LIBS   := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
MHD_LIBS    := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)
# The demo service parses request bodies with json-c; its unit tests link it too.
DEMO_LIBS   := $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null)

CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-format-truncation
ALL_CFLAGS  := $(CFLAGS) -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Iuser -I$(BUILD) $(USER_CFLAGS) -MMD -MP
LDFLAGS     ?=
ifeq ($(SANITIZE),1)
ALL_CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS     += -fsanitize=address,undefined
endif

ARCH        := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Iinclude -I$(BUILD) -MMD -MP

# ---- sources -----------------------------------------------------------------
BPF_SRCS    := $(wildcard bpf/*.bpf.c)
BPF_OBJS    := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS       := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

CORE_SRCS   := $(wildcard user/core/*.c)
CORE_OBJS   := $(patsubst %.c,$(BUILD)/%.o,$(CORE_SRCS))
# user/io: thin file-system shells (cgroup files, state files, ELF/maps reading)
# that take a root path, so unit tests can point them at a fake tree. No libbpf.
IO_SRCS     := $(wildcard user/io/*.c)
IO_OBJS     := $(patsubst %.c,$(BUILD)/%.o,$(IO_SRCS))
SHELL_SRCS  := $(wildcard user/*.c)
SHELL_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(SHELL_SRCS))

# Each tool is a folder under tools/: main.c is its shell, the other files its
# library, which unit tests may link.
LOADGEN_SRCS := $(filter-out tools/loadgen/main.c,$(wildcard tools/loadgen/*.c))
LOADGEN_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(LOADGEN_SRCS))
DEMO_SRCS    := $(filter-out tools/demo/main.c,$(wildcard tools/demo/*.c))
DEMO_OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(DEMO_SRCS))

TOOL_BINS   := $(if $(wildcard tools/loadgen/main.c),$(BUILD)/loadgen) \
               $(if $(wildcard tools/demo/main.c),$(BUILD)/demo-infer)

UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TEST_HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))

MANPAGES    := $(wildcard user/man/*.[0-9])

.PHONY: all test unit-tests demo bench bench-smoke vmtest install clean deps
# Plain "make" installs what is missing first, then builds in a second make
# that reads the pkg-config flags of what is now installed.
ifeq ($(NO_DEPS),1)
all: $(BPF_OBJS) $(LATGOV_BIN) $(TOOL_BINS)
unit-tests: $(UNIT_BINS) $(TEST_HELPERS)
else
all: deps
	$(Q)$(MAKE) --no-print-directory NO_DEPS=1 all
unit-tests: deps
	$(Q)$(MAKE) --no-print-directory NO_DEPS=1 unit-tests
# This make's goals run one after the other, each in a parallel second make:
# two second makes at once ("make -j2 all unit-tests") would build the same
# libraries together and link against a half-written archive.
.NOTPARALLEL:
endif

# ---- BPF ---------------------------------------------------------------------
$(BUILD)/vmlinux.h: $(VMLINUX_BTF)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp.o && $(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# ---- user space --------------------------------------------------------------
$(BUILD)/%.o: %.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The shells include the generated skeletons.
$(SHELL_OBJS): $(SKELS)

$(BUILD)/libcore.a: $(CORE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libio.a: $(IO_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libloadgen.a: $(LOADGEN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/libdemo.a: $(DEMO_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LATGOV_BIN): $(SHELL_OBJS) $(BUILD)/libio.a $(BUILD)/libcore.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(SHELL_OBJS) $(BUILD)/libio.a $(BUILD)/libcore.a $(USER_LIBS) -lpthread

$(BUILD)/loadgen: $(BUILD)/tools/loadgen/main.o $(BUILD)/libloadgen.a $(BUILD)/libcore.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) -lpthread

$(BUILD)/demo-infer: $(BUILD)/tools/demo/main.o $(BUILD)/libdemo.a $(BUILD)/libcore.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(MHD_LIBS) $(DEMO_LIBS) $(CORE_LIBS) -lpthread

# ---- tests -------------------------------------------------------------------
# Unit tests link the pure core (and the tools' libraries) with cmocka only: no libbpf.
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libio.a $(BUILD)/libcore.a $(BUILD)/libloadgen.a $(BUILD)/libdemo.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libloadgen.a $(BUILD)/libdemo.a $(BUILD)/libio.a $(BUILD)/libcore.a $(TEST_LIBS) $(DEMO_LIBS) $(CORE_LIBS) -lpthread

# Small programs the integration tests run (servers, clients, profiling targets).
$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(BUILD)/libio.a $(BUILD)/libcore.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS) -lpthread

test: $(DEPS_PREREQ)
	$(Q)$(MAKE) --no-print-directory NO_DEPS=1 all unit-tests
	$(Q)BUILD=$(BUILD) LATGOV=$(abspath $(LATGOV_BIN)) bash tests/run.sh

demo: $(DEPS_PREREQ)
	$(Q)$(MAKE) --no-print-directory NO_DEPS=1 all
	$(Q)BUILD=$(BUILD) LATGOV=$(abspath $(LATGOV_BIN)) bash tools/demo.sh

bench: $(DEPS_PREREQ)
	$(Q)$(MAKE) --no-print-directory NO_DEPS=1 all unit-tests
	$(Q)BUILD=$(BUILD) LATGOV=$(abspath $(LATGOV_BIN)) bash tools/bench/run.sh

bench-smoke: $(DEPS_PREREQ)
	$(Q)$(MAKE) --no-print-directory NO_DEPS=1 all unit-tests
	$(Q)BUILD=$(BUILD) LATGOV=$(abspath $(LATGOV_BIN)) bash tools/bench/run.sh --smoke

deps:
	$(Q)bash tools/deps.sh

# The integration tests on Debian's 6.1 kernel with pure cgroup v2, under qemu.
vmtest:
	$(Q)bash tools/deps.sh --vm
	$(Q)$(MAKE) --no-print-directory NO_DEPS=1 all unit-tests
	$(Q)BUILD=$(BUILD) LATGOV=$(abspath $(LATGOV_BIN)) bash tests/run.sh vm

# ---- install -----------------------------------------------------------------
install: $(LATGOV_BIN)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(SYSCONFDIR)/latgov/policies
	install -m 0755 $(LATGOV_BIN) $(DESTDIR)$(PREFIX)/sbin/latgov
	$(if $(MANPAGES),install -m 0644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man8/)
	$(if $(wildcard policies/*.yaml),install -m 0644 $(wildcard policies/*.yaml) $(DESTDIR)$(SYSCONFDIR)/latgov/policies/)
	$(if $(wildcard policies/README.md),install -m 0644 policies/README.md $(DESTDIR)$(SYSCONFDIR)/latgov/policies/)

clean:
	rm -rf $(BUILD) latgov

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
