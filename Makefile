# ringsim — build, test, benchmark, run.
#
#   make            build ./ringsim and the bundled guests
#   make test       set up, build, run every test natively and under ASan+UBSan
#   make test-fast  the same without the slow tests (labs, diffmodes); make test-slow: only them
#   make run        set up, build, boot the bundled guest in the debugger
#   make bench      simulated MIPS and ns per cycle, every workload and mode -> bench.json
#   make bench-ir   host instructions per guest instruction (valgrind) -> bench-ir.json
#   make grade      score the labs (LAB=name for one; labs/README.md)
#   make docs       regenerate docs/isa.md from the instruction table, and the
#                   debugger's command table in docs/debugger.md from its own
#                   (and the measured tables of docs/containers.md and docs/io.md)
#   make install PREFIX=/usr/local
#   make clean
#   make fuzz-modes SEEDS=N   random guests, every technique against bare metal
#   make isolation  the attack suite -> docs/isolation.md
#   make fuzz       libFuzzer on the assembler, loaders, debugger (not in make test)
#   make WERROR=    build with warnings not turned into errors (a newer compiler's new warnings)

CC       ?= cc
PREFIX   ?= /usr/local
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WERROR   ?= -Werror
WARN     := -std=c11 -Wall -Wextra $(WERROR) -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
CPPFLAGS := -I. -MMD -MP
LDLIBS   := -linih -ljansson -lreadline -lncursesw -ltinfo -lm
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# One directory a part of the machine; cli/ holds main().
PARTS    := isa cpu mmu hypervisor visualise cli
SRC      := $(foreach d,$(PARTS),$(wildcard $(d)/*.c))
LIBSRC   := $(filter-out cli/main.c,$(SRC))
TESTSRC  := $(wildcard tests/*.c)
GUESTSRC := $(wildcard guests/*.s)
# Every guest built on the kernel also has a paravirtual build (--mode pv).
PVSRC    := $(shell grep -l 'kernel/main.s' $(GUESTSRC))
GUESTS   := $(GUESTSRC:guests/%.s=build/guests/%.img) $(PVSRC:guests/%.s=build/guests/pv/%.img)
LABSRC   := $(wildcard labs/*/*.s)
LABIMGS  := $(LABSRC:labs/%.s=build/labs/%.img)

OBJ      := $(SRC:%.c=build/obj/%.o)
LIBOBJ   := $(LIBSRC:%.c=build/obj/%.o)
TESTOBJ  := $(TESTSRC:%.c=build/obj/%.o)
SANOBJ   := $(SRC:%.c=build/san/%.o)
SANLIB   := $(LIBSRC:%.c=build/san/%.o)
SANTEST  := $(TESTSRC:%.c=build/san/%.o)
# The assembler alone (tools/asm_main.c, cli/asm.c and isa/, less isadoc, the
# reference `ringsim isadoc` writes): the images depend on it, not on ./ringsim,
# so a change to the CPU or the hypervisor reassembles nothing.
ASMOBJ   := $(filter-out build/obj/isa/isadoc.o,$(filter build/obj/isa/%,$(LIBOBJ))) build/obj/cli/asm.o build/obj/tools/asm_main.o
ASM      := build/ringsim-asm

.PHONY: all setup test test-fast test-slow run bench bench-ir docs install clean grade
all: ringsim $(GUESTS) $(LABIMGS)

setup:
	@sh tools/setup.sh

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c $< -o $@

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(SANFLAGS) -c $< -o $@

ringsim: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $(OBJ) $(LDLIBS)

build/ringsim-san: $(SANOBJ)
	$(CC) $(SANFLAGS) -o $@ $(SANOBJ) $(LDLIBS)

$(ASM): $(ASMOBJ)
	$(CC) $(CFLAGS) -o $@ $(ASMOBJ)

build/guests/%.img: guests/%.s $(ASM) $(wildcard guests/kernel/*.s guests/kernel/user/*.s)
	@mkdir -p $(dir $@)
	$(ASM) $< -o $@

# The labs' own small guests (labs/LAB/*.s).
build/labs/%.img: labs/%.s $(ASM) $(wildcard labs/*.inc)
	@mkdir -p $(dir $@)
	$(ASM) $< -o $@
# pvbatch's include the kernel's pv.s, the student's file.
$(filter build/labs/pvbatch/%,$(LABIMGS)): $(wildcard guests/kernel/*.s)

# The labs' own benches (labs/LAB/*.c, e.g. the IOMMU lab's iotest): small
# programs on the machine's code, built beside the lab's guests.
LABC     := $(wildcard labs/*/*.c)
LABTOOLS := $(LABC:labs/%.c=build/labs/%)
all: $(LABTOOLS)
build/labs/%: labs/%.c $(LIBOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $< $(LIBOBJ) $(LDLIBS)

# The paravirtual build of the same sources (--mode pv runs these).
build/guests/pv/%.img: guests/%.s $(ASM) $(wildcard guests/kernel/*.s guests/kernel/user/*.s)
	@mkdir -p $(dir $@)
	$(ASM) -D PV=1 $< -o $@

build/test-runner: $(LIBOBJ) $(TESTOBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

build/test-runner-san: $(SANLIB) $(SANTEST)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# Tests find the program, the guests and the docs through these variables.
TESTENV = RINGSIM_ROOT=$(CURDIR) RINGSIM_GUESTS=$(CURDIR)/build/guests

# $(call run-tests,OPTIONS): the native runner, then the ASan+UBSan one.
define run-tests
	$(TESTENV) RINGSIM_BIN=$(CURDIR)/ringsim ./build/test-runner --jobs 2 $(1)
	$(TESTENV) RINGSIM_BIN=$(CURDIR)/build/ringsim-san \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ./build/test-runner-san --jobs 2 $(1)
endef

# The slow tier: the labs' tests (each builds and grades whole trees) and the
# differential tests (every technique on many generated guests) take most of
# the run.  test-fast and test-slow split make test in two by suite name;
# together they run what make test runs.
SLOWSUITES := labs|diffmodes

test: setup all build/test-runner build/test-runner-san build/ringsim-san
	$(call run-tests)

test-fast: setup all build/test-runner build/test-runner-san build/ringsim-san
	$(call run-tests,--filter '!($(SLOWSUITES))/*')

test-slow: setup all build/test-runner build/test-runner-san build/ringsim-san
	$(call run-tests,--filter '@($(SLOWSUITES))/*')

run: setup all
	./ringsim debug kernel

bench: all
	sh tools/bench.sh

bench-ir: all
	sh tools/bench-ir.sh

# docs/isa.md is made whole from the instruction table; in docs/debugger.md
# only the table of commands is, from the debugger's own (`ringsim debug
# --commands`), between its two marker lines.
docs: ringsim
	./ringsim isadoc > docs/isa.md.tmp && mv docs/isa.md.tmp docs/isa.md
	./ringsim debug --commands > docs/commands.md.tmp
	awk '/^<!-- end of the commands -->/ { skip = 0 } !skip { print } \
	     /^<!-- the commands: / { while ((getline l < "docs/commands.md.tmp") > 0) print l; skip = 1 }' \
	    docs/debugger.md > docs/debugger.md.tmp && mv docs/debugger.md.tmp docs/debugger.md
	rm -f docs/commands.md.tmp
	./ringsim compare --isolation > docs/measurements.md.tmp
	awk '/^<!-- end of the measurements -->/ { skip = 0 } !skip { print } \
	     /^<!-- the measurements: / { print "```"; while ((getline l < "docs/measurements.md.tmp") > 0) print l; \
	                                  print "```"; skip = 1 }' \
	    docs/containers.md > docs/containers.md.tmp && mv docs/containers.md.tmp docs/containers.md
	rm -f docs/measurements.md.tmp
	./ringsim compare --io > docs/io-table.md.tmp
	awk '/^<!-- end of the I\/O comparison -->/ { skip = 0 } !skip { print } \
	     /^<!-- the I\/O comparison: / { print "```"; while ((getline l < "docs/io-table.md.tmp") > 0) print l; \
	                                    print "```"; skip = 1 }' \
	    docs/io.md > docs/io.md.tmp && mv docs/io.md.tmp docs/io.md
	rm -f docs/io-table.md.tmp

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ringsim/guests/pv $(DESTDIR)$(PREFIX)/share/ringsim/profiles
	install -m 755 ringsim $(DESTDIR)$(PREFIX)/bin/ringsim
	install -m 644 $(GUESTSRC:guests/%.s=build/guests/%.img) $(DESTDIR)$(PREFIX)/share/ringsim/guests/
	install -m 644 $(PVSRC:guests/%.s=build/guests/pv/%.img) $(DESTDIR)$(PREFIX)/share/ringsim/guests/pv/
	install -m 644 profiles/*.ini $(DESTDIR)$(PREFIX)/share/ringsim/profiles/

clean:
	rm -rf build ringsim

-include $(OBJ:.o=.d) $(TESTOBJ:.o=.d) $(SANOBJ:.o=.d) $(SANTEST:.o=.d) build/obj/tools/asm_main.d

# ---- comparisons and drawings (issue #6) ----------------------------------
# make compare    every workload under every mode and profile -> report/
# make pictures   the page-table drawings and comparison charts in docs/pictures/
.PHONY: compare pictures
# Labs: `make grade` scores every lab against this tree, `make grade LAB=te`
# one; `labs/mklab LAB DIR` makes a student's starting tree (labs/README.md).
grade: setup all
	sh labs/grade.sh $(LAB)

# make autograder LAB=x: Gradescope's autograder bundle for lab x,
# build/autograder-x.zip (labs/autograder.sh, labs/README.md).
.PHONY: autograder
autograder:
	@[ -n "$(LAB)" ] || { echo "make autograder LAB=name (a folder of labs/)" >&2; exit 2; }
	sh labs/autograder.sh $(LAB) build/autograder-$(LAB).zip

compare: setup all
	sh tools/report.sh report

pictures: setup all
	sh tools/pictures.sh

# ---- differential testing of the techniques against bare metal (fuzz-modes) ----
# make fuzz-modes SEEDS=N [FIRST=S]   random bare-metal guests from
#   build/genguest (tools/genguest.c), run natively and under te, bt and hw
#   (shadow and nested); any difference from bare metal is reported
#   (tools/fuzz-modes.sh).  tests/test_diffmodes.c runs the kept seeds
#   (tests/diffmodes_seeds.txt) and a fixed range with the generator, so the
#   test runners are built after it.
.PHONY: fuzz-modes
SEEDS ?= 200
FIRST ?= 0
all: build/genguest

build/genguest: tools/genguest.c
	@mkdir -p build
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

# order-only: the runners' link lines use $^, which must not name the generator
build/test-runner build/test-runner-san: | build/genguest

fuzz-modes: ringsim build/genguest
	sh tools/fuzz-modes.sh $(SEEDS) $(FIRST)
# ---- end of fuzz-modes ----

# ---- fuzzing (make fuzz; not part of make test) ----------------------------
# make fuzz                 each libFuzzer target in tests/fuzz/ for FUZZ_SECONDS (60)
# make fuzz FUZZ_SECONDS=N  … for N seconds each;  make fuzz FUZZ_TARGETS=asm  one target
# Needs clang (installed with apt-get as root if missing; otherwise the command
# to run is printed).  Targets and library are built with libFuzzer, ASan and
# UBSan under build/fuzz/; what a run learns goes to build/fuzz/corpus/TARGET
# (seeded with the bundled sources, images and profiles, and tests/fuzz/corpus/TARGET),
# a crash to build/fuzz/crash-TARGET-*.
# Keep each crash as tests/fuzz/regressions/TARGET/NAME: tests/test_inputs.c
# replays them all in make test, without libFuzzer.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= asm elf profile debugger
FUZZ_CC      ?= clang
FUZZFLAGS    := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZOBJ      := $(LIBSRC:%.c=build/fuzz/obj/%.o)
FUZZBIN      := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

.PHONY: fuzz fuzz-setup fuzz-build
fuzz-setup:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "ringsim fuzz: installing clang"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq || true; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang; \
	  else \
	    echo "ringsim fuzz: needs clang; run this as root, then make fuzz again:"; \
	    echo "    apt-get install -y clang"; exit 1; \
	  fi; }

build/fuzz/obj/%.o: %.c | fuzz-setup
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) $(FUZZFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZOBJ) | fuzz-setup
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) $(FUZZFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZOBJ) $(LDLIBS)

fuzz-build: $(FUZZBIN)

# -timeout: an input taking longer is a hang; -rss_limit_mb: one using more
# memory is unbounded.  The kernel image some targets boot comes from `all`.
fuzz: setup all fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  case $$t in \
	  asm) cp guests/*.s guests/kernel/*.s labs/*/*.s build/fuzz/corpus/asm/ ;; \
	  elf) cp build/guests/*.img build/fuzz/corpus/elf/ ;; \
	  profile) cp profiles/*.ini build/fuzz/corpus/profile/ ;; \
	  esac; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  RINGSIM_ROOT=$(CURDIR) RINGSIM_GUESTS=$(CURDIR)/build/guests \
	  ./build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 $$( [ -f tests/fuzz/$$t.dict ] && echo -dict=tests/fuzz/$$t.dict ) \
	    -artifact_prefix=build/fuzz/crash-$$t- build/fuzz/corpus/$$t \
	    $$( [ -d tests/fuzz/corpus/$$t ] && echo tests/fuzz/corpus/$$t ) || exit 1; \
	done

-include $(FUZZOBJ:.o=.d) $(FUZZBIN:=.d)
# ---- end of fuzzing ------------------------------------------------------------

# ---- the attack suite (guests/attacks/, tests/test_isolation.c) ---------------
# make isolation   every attack under every technique, judged against bare
#                  metal and hv_audit: writes docs/isolation.md (tools/isolation.sh)
# make attacks     the attack images, build/guests/attacks/NAME.img, to run by
#                  hand (the tests assemble the sources themselves).  lib.s is
#                  the harness the attacks include, not an attack.
.PHONY: isolation attacks
ATTACKSRC := $(filter-out guests/attacks/lib.s,$(wildcard guests/attacks/*.s))
ATTACKIMG := $(ATTACKSRC:guests/%.s=build/guests/%.img)

attacks: $(ATTACKIMG)

build/guests/attacks/%.img: guests/attacks/%.s guests/attacks/lib.s $(ASM)
	@mkdir -p $(dir $@)
	$(ASM) $< -o $@

# paravirtual kernels (pv_*.s) are built as guests/pv/ are
build/guests/attacks/pv_%.img: guests/attacks/pv_%.s $(ASM)
	@mkdir -p $(dir $@)
	$(ASM) -D PV=1 $< -o $@

isolation: all build/test-runner
	sh tools/isolation.sh
# ---- end of the attack suite ----------------------------------------------------

# ---- the VS Code extension (editors/vscode/; docs/dap.md) ------------------------
# make vscode-extension   packages editors/vscode/ as a .vsix with vsce from npm
#                         (npx fetches @vscode/vsce: it needs the network; not part
#                         of make test).  Without npm it says how to install by hand.
.PHONY: vscode-extension
vscode-extension:
	@if command -v npx >/dev/null 2>&1; then \
	  mkdir -p build && cd editors/vscode && npx --yes @vscode/vsce package --allow-missing-repository --skip-license \
	    -o ../../build/ringsim-vscode.vsix && echo "wrote build/ringsim-vscode.vsix"; \
	else \
	  echo "make vscode-extension: needs npm (npx) to run @vscode/vsce."; \
	  echo "Without it: copy editors/vscode/ to ~/.vscode/extensions/ringsim (docs/dap.md)."; exit 1; \
	fi
# ---- end of the VS Code extension ------------------------------------------------
