# pitfs - point-in-time filesystem for Cassandra backups.
# make            build ./pitfs
# make check      install missing packages, build, run every test
# make SAN=asan   the same with AddressSanitizer + UndefinedBehaviorSanitizer
# make demo | bench | fuzz | install | clean | deps

PKGS      := fuse3 libzstd libxxhash lmdb liblz4 zlib snappy
TEST_PKGS := cmocka
DEB_PKGS  := build-essential pkg-config libfuse3-dev fuse3 libzstd-dev libxxhash-dev liblmdb-dev \
             liblz4-dev zlib1g-dev libsnappy-dev libcmocka-dev rsync
BENCH_DEB_PKGS := restic borgbackup zstd tar
PREFIX    ?= /usr/local
VERSION   := 0.1.0

CC        ?= cc
CFLAGS    ?= -g -O2
CFLAGS    += -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DPITFS_VERSION='"$(VERSION)"' \
             -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers -MMD -MP -I.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread

ifeq ($(SAN),asan)
  CFLAGS  += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  LDFLAGS += -fsanitize=address,undefined
else ifneq ($(SAN),)
  $(error unknown SAN=$(SAN), only SAN=asan is known)
endif

CCNAME := $(notdir $(firstword $(CC)))
B := build/$(or $(SAN),default)$(if $(filter clang%,$(CCNAME)),-clang)

CORE_SRC  := $(wildcard core/*.c core/*/*.c)
TOOL_SRC  := $(wildcard tools/*.c fs/*.c)
TLIB_SRC  := $(wildcard tests/lib/*.c)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)

CORE_OBJ  := $(CORE_SRC:%.c=$(B)/%.o)
TOOL_OBJ  := $(TOOL_SRC:%.c=$(B)/%.o)
TLIB_OBJ  := $(TLIB_SRC:%.c=$(B)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/tests/%)
LIBCORE   := $(B)/libpitcore.a

.PHONY: all check check-long unit unit-bins demo bench fuzz install clean deps bench-deps install-pkgs lint-layers
# ./pitfs is a copy of the default variant's binary; other variants stay in their dir.
ifeq ($(B),build/default)
all: pitfs
else
all: $(B)/pitfs
endif

pitfs: $(B)/pitfs
	cp $< $@

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(LIBCORE): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/pitfs: $(TOOL_OBJ) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(LIBCORE) $(PKG_LIBS)

$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(TLIB_OBJ) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $< $(TLIB_OBJ) $(LIBCORE) $(PKG_LIBS) $(shell pkg-config --libs $(TEST_PKGS))

$(B)/tests/bench_%: $(B)/tests/bench/bench_%.o $(TLIB_OBJ) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $< $(TLIB_OBJ) $(LIBCORE) $(PKG_LIBS)

# Installs the Debian packages that are missing, as root or through sudo.
deps:
	@$(MAKE) --no-print-directory install-pkgs PKGS_WANTED="$(DEB_PKGS)"

# The peers the repository benchmark measures pitfs against.
bench-deps:
	@$(MAKE) --no-print-directory install-pkgs PKGS_WANTED="$(DEB_PKGS) $(BENCH_DEB_PKGS)"

install-pkgs:
	@missing=""; for p in $(PKGS_WANTED); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "pitfs: installing missing packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "pitfs: cannot install packages; run: sudo apt-get install -y$$missing" >&2; exit 1; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq$$missing >/dev/null

# Nothing in core/ may see FUSE: the mount is a translation layer only.
lint-layers:
	@if grep -rn 'include *<fuse' core/ tools/; then echo "only fs/ may include FUSE headers" >&2; exit 1; fi

unit-bins: $(UNIT_BIN) $(B)/pitfs

unit: $(UNIT_BIN) $(B)/pitfs
	@PITFS_BIN=$(B)/pitfs sh tests/run-unit.sh $(UNIT_BIN) tests/mount/test_mount.sh

# The merge against larger generated clusters (a few minutes).
check-long: deps
	@$(MAKE) --no-print-directory all unit-bins
	@PITFS_LONG=1 PITFS_BIN=$(B)/pitfs sh tests/run-unit.sh $(B)/tests/test_merge

check: deps
	@$(MAKE) --no-print-directory lint-layers
	@$(MAKE) --no-print-directory all unit

demo: deps
	@$(MAKE) --no-print-directory all $(B)/tests/make_sample
	@rm -rf $(B)/demo && mkdir -p $(B)/demo/shop && $(B)/tests/make_sample $(B)/demo/shop/orders
	@sh tests/demo.sh ./pitfs $(B)/demo/shop/orders $(B)/demo

$(B)/tests/make_sample: $(B)/tests/demo/make_sample.o $(TLIB_OBJ) $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $< $(TLIB_OBJ) $(LIBCORE) $(PKG_LIBS)

bench: bench-deps
	@$(MAKE) --no-print-directory $(BENCH_BIN) $(B)/pitfs
	@for b in $(BENCH_BIN); do PITFS_BIN=$(B)/pitfs $$b || exit 1; done

# libFuzzer targets (clang), seeded from the fixtures, each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
FUZZ_DIR := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -g -O1 -I. -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all
fuzz: deps
	@mkdir -p $(FUZZ_DIR)
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -DPITFS_VERSION='"$(VERSION)"' -o $(FUZZ_DIR)/$$n $$f $(CORE_SRC) $(TLIB_SRC) $(PKG_LIBS) || exit 1; \
	done
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  sh tests/fuzz/seed.sh $$n $(FUZZ_DIR)/$$n.seeds || exit 1; mkdir -p $(FUZZ_DIR)/$$n.corpus; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_DIR)/$$n -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/$$n- \
	      $(FUZZ_DIR)/$$n.corpus $(FUZZ_DIR)/$$n.seeds 2>$(FUZZ_DIR)/$$n.log || { tail -40 $(FUZZ_DIR)/$$n.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|stat::peak_rss' $(FUZZ_DIR)/$$n.log; \
	done

# mount(8) finds the helper for fstab lines and systemd units of type pitfs
# as /sbin/mount.pitfs.
SBINDIR ?= /sbin
install: pitfs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SBINDIR)
	install -m 0755 pitfs $(DESTDIR)$(PREFIX)/bin/pitfs
	ln -sf $(PREFIX)/bin/pitfs $(DESTDIR)$(SBINDIR)/mount.pitfs

clean:
	rm -rf build pitfs

-include $(shell find build -name '*.d' 2>/dev/null)
.SECONDARY:
