# certsensor — plain GNU make.
#
#   make            build/release/certsensor and libcertsensor.{a,so}
#   make demo       install missing packages, build, analyse pcaps/*.pcap
#   make test       install missing packages, build the test variant, run every test
#   make asan       the whole suite under AddressSanitizer + UBSan
#   make bench      speed and memory figures (not a test); BENCH_HOSTILE=1 adds bench-hostile
#   make bench-hostile  bounded memory and CPU under hostile captures (made by certgen hostile)
#   make fuzz       libFuzzer targets (clang); make fuzz-run T=name SECS=N
#   make format / format-check
#
# One build directory per variant: build/release, build/test, build/debug,
# build/asan, build/fuzz.

VARIANT ?= release
B := build/$(VARIANT)
SHARED ?= ../shared

PKGS := libpcap openssl libmaxminddb sqlite3
# nDPI's .pc adds -I/usr/include/x86_64-linux-gnu, which breaks system header order:
# its flags are filtered and given only to the files that include nDPI.
NDPI_CFLAGS := $(filter-out -I/usr/include/x86_64-linux-gnu,$(shell pkg-config --cflags libndpi 2>/dev/null))
NDPI_LIBS := $(shell pkg-config --libs libndpi 2>/dev/null)
DEB_PKGS := build-essential pkg-config libpcap-dev libssl-dev libndpi-dev libmaxminddb-dev \
            libsqlite3-dev libcmocka-dev python3

CC ?= cc
PKG_CFLAGS := $(filter-out -I/usr/include/x86_64-linux-gnu,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(NDPI_LIBS)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wimplicit-fallthrough
HARDEN := -fstack-protector-strong -fPIC
BASE_CFLAGS := $(WARN) $(HARDEN) -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -fvisibility=hidden \
               -MMD -MP -iquote sensor -iquote parsers -iquote rules $(PKG_CFLAGS)
LDHARDEN := -Wl,-z,relro,-z,now -pie

ifeq ($(VARIANT),release)
  VCFLAGS := -O2 -g -D_FORTIFY_SOURCE=2
else ifeq ($(VARIANT),test)
  VCFLAGS := -O1 -g -D_FORTIFY_SOURCE=2 -Werror
else ifeq ($(VARIANT),debug)
  VCFLAGS := -O0 -g3 -Werror
else ifeq ($(VARIANT),asan)
  VCFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
             -fno-sanitize-recover=all -Werror
  VLDFLAGS := -fsanitize=address,undefined
else ifeq ($(VARIANT),fuzz)
  CC := clang
  VCFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
             -fno-sanitize-recover=all -DCS_FUZZING
  VLDFLAGS := -fsanitize=address,undefined
else
  $(error unknown VARIANT $(VARIANT))
endif

CFLAGS_ALL = $(BASE_CFLAGS) $(VCFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(LDHARDEN) $(VLDFLAGS) $(LDFLAGS)

# Library: everything in parsers/, rules/ and sensor/ except the CLI files.
CLI_SRC := sensor/main.c sensor/capture.c sensor/output.c sensor/pcapng_keys.c
LIB_SRC := $(sort $(wildcard parsers/*.c) $(wildcard rules/*.c) \
             $(filter-out $(CLI_SRC),$(wildcard sensor/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(CLI_SRC)))

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
GEN_SRC := $(sort $(wildcard tests/gen/*.c))
EXAMPLE_SRC := tests/embed_example.c

.PHONY: all lib cli demo test test-run asan bench fuzz fuzz-run deps clean format format-check goldens \
        units gen example replays fuzz-build bench-hostile
.DEFAULT_GOAL := all

all: cli lib

cli: $(B)/certsensor
lib: $(B)/libcertsensor.a $(B)/libcertsensor.so

$(B)/obj/sensor/classify.o: CFLAGS += $(NDPI_CFLAGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) -c $< -o $@

$(B)/libcertsensor.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(B)/libcertsensor.so: $(LIB_OBJ)
	@echo "  LD      $@"
	@$(CC) -shared -o $@ $^ $(VLDFLAGS) -Wl,-z,relro,-z,now $(PKG_LIBS)

$(B)/certsensor: $(CLI_OBJ) $(B)/libcertsensor.a
	@echo "  LD      $@"
	@$(CC) -o $@ $(CLI_OBJ) $(B)/libcertsensor.a $(LDFLAGS_ALL) $(PKG_LIBS)

# ---- tests -------------------------------------------------------------
$(B)/tests/test_%: tests/unit/test_%.c $(B)/libcertsensor.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -iquote tests/unit -o $@ $< $(filter %.o,$^) \
	    $(B)/libcertsensor.a $(LDFLAGS_ALL) $(CMOCKA_LIBS) $(PKG_LIBS)

# Unit tests of CLI-only modules (not in the library) link their objects too.
$(B)/tests/test_pcapng_keys: $(B)/obj/sensor/pcapng_keys.o

$(B)/tests/embed_example: $(EXAMPLE_SRC) $(B)/libcertsensor.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libcertsensor.a $(LDFLAGS_ALL) $(PKG_LIBS)

$(B)/gen/certgen: $(GEN_SRC)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -iquote tests/gen -o $@ $(GEN_SRC) $(LDFLAGS_ALL) $(PKG_LIBS)

units: $(UNIT_BIN)
example: $(B)/tests/embed_example
gen: $(B)/gen/certgen

# ---- fuzz targets ------------------------------------------------------
# tests/fuzz/fuzz_<t>.c defines LLVMFuzzerTestOneInput only. In every variant
# it is linked with tests/fuzz/replay.c into $(B)/tests/replay_<t>, which
# run_tests.sh runs on tests/fuzz/corpus/<t> (the corpus as a regression
# test); in VARIANT=fuzz it is also linked with libFuzzer into $(B)/fuzz_<t>.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
REPLAY_BIN := $(FUZZ_TARGETS:%=$(B)/tests/replay_%)
FUZZ_BIN := $(FUZZ_TARGETS:%=$(B)/fuzz_%)
FUZZ_DEB_PKGS := clang libclang-rt-14-dev

$(B)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(B)/libcertsensor.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) -iquote tests/fuzz -o $@ tests/fuzz/fuzz_$*.c tests/fuzz/replay.c \
	    $(B)/libcertsensor.a $(LDFLAGS_ALL) $(PKG_LIBS)

$(B)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(B)/libcertsensor.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS_ALL) -iquote tests/fuzz -o $@ $< $(B)/libcertsensor.a \
	    $(LDFLAGS_ALL) -fsanitize=fuzzer $(PKG_LIBS)

replays: $(REPLAY_BIN)
ifeq ($(VARIANT),fuzz)
fuzz-build: $(FUZZ_BIN) $(REPLAY_BIN)
else
fuzz-build:
	$(error fuzz-build needs VARIANT=fuzz (use make fuzz))
endif

-include $(shell find build/$(VARIANT) -name '*.d' 2>/dev/null)

# ---- set-up ------------------------------------------------------------
# Installs the Debian packages that are missing (root or sudo); quiet when all are there.
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "certsensor: installing missing packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: deps
	@$(MAKE) --no-print-directory VARIANT=release cli
	@tests/demo.sh build/release/certsensor

test: deps
	@$(MAKE) --no-print-directory VARIANT=test all units example gen replays
	@tests/run_tests.sh build/test $(SHARED)

asan: deps
	@$(MAKE) --no-print-directory VARIANT=asan all units example gen replays
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    tests/run_tests.sh build/asan $(SHARED)

bench: deps
	@$(MAKE) --no-print-directory VARIANT=release cli
	@tests/bench/run.sh build/release $(SHARED)
	@if [ "$(BENCH_HOSTILE)" = 1 ]; then $(MAKE) --no-print-directory bench-hostile; fi

bench-hostile: deps
	@$(MAKE) --no-print-directory VARIANT=release cli gen
	@tests/bench/hostile.sh build/release

goldens:
	@$(MAKE) --no-print-directory VARIANT=test cli
	@tests/pcap/regen.sh build/test/certsensor

fuzz:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(FUZZ_DEB_PKGS)"
	@$(MAKE) --no-print-directory VARIANT=fuzz fuzz-build

fuzz-run: fuzz
	@tests/fuzz/run.sh build/fuzz "$(T)" $(or $(SECS),60)

format:
	clang-format -i $(wildcard sensor/*.[ch] parsers/*.[ch] rules/*.[ch] tests/*/*.[ch] tests/*.c)

format-check:
	@clang-format --dry-run --Werror $(wildcard sensor/*.[ch] parsers/*.[ch] rules/*.[ch])

clean:
	rm -rf build
