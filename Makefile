# ringsim — build, test, benchmark, run.
#
#   make            build ./ringsim and the bundled guests
#   make test       set up, build, run every test natively and under ASan+UBSan
#   make run        set up, build, boot the bundled guest in the debugger
#   make bench      simulated MIPS per mode
#   make grade      score the labs (LAB=name for one; labs/README.md)
#   make docs       regenerate docs/isa.md from the instruction table
#   make install PREFIX=/usr/local
#   make clean

CC       ?= cc
PREFIX   ?= /usr/local
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN     := -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
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

.PHONY: all setup test test-native test-san run bench docs install clean grade
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

build/guests/%.img: guests/%.s ringsim $(wildcard guests/kernel/*.s guests/kernel/user/*.s)
	@mkdir -p $(dir $@)
	./ringsim asm $< -o $@

# The labs' own small guests (labs/LAB/*.s).
build/labs/%.img: labs/%.s ringsim
	@mkdir -p $(dir $@)
	./ringsim asm $< -o $@

# The paravirtual build of the same sources (--mode pv runs these).
build/guests/pv/%.img: guests/%.s ringsim $(wildcard guests/kernel/*.s guests/kernel/user/*.s)
	@mkdir -p $(dir $@)
	./ringsim asm -D PV=1 $< -o $@

build/test-runner: $(LIBOBJ) $(TESTOBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

build/test-runner-san: $(SANLIB) $(SANTEST)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# Tests find the program, the guests and the docs through these variables.
TESTENV = RINGSIM_ROOT=$(CURDIR) RINGSIM_GUESTS=$(CURDIR)/build/guests

test: setup all build/test-runner build/test-runner-san build/ringsim-san
	$(TESTENV) RINGSIM_BIN=$(CURDIR)/ringsim ./build/test-runner --jobs 2
	$(TESTENV) RINGSIM_BIN=$(CURDIR)/build/ringsim-san \
	  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  ./build/test-runner-san --jobs 2

run: setup all
	./ringsim debug kernel

bench: all
	sh tools/bench.sh

docs: ringsim
	./ringsim isadoc > docs/isa.md.tmp && mv docs/isa.md.tmp docs/isa.md

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ringsim/guests/pv $(DESTDIR)$(PREFIX)/share/ringsim/profiles
	install -m 755 ringsim $(DESTDIR)$(PREFIX)/bin/ringsim
	install -m 644 $(GUESTSRC:guests/%.s=build/guests/%.img) $(DESTDIR)$(PREFIX)/share/ringsim/guests/
	install -m 644 $(PVSRC:guests/%.s=build/guests/pv/%.img) $(DESTDIR)$(PREFIX)/share/ringsim/guests/pv/
	install -m 644 profiles/*.ini $(DESTDIR)$(PREFIX)/share/ringsim/profiles/

clean:
	rm -rf build ringsim

-include $(OBJ:.o=.d) $(TESTOBJ:.o=.d) $(SANOBJ:.o=.d) $(SANTEST:.o=.d)

# ---- comparisons and drawings (issue #6) ----------------------------------
# make compare    every workload under every mode and profile -> report/
# make pictures   the page-table drawings and comparison charts in docs/pictures/
.PHONY: compare pictures
# Labs: `make grade` scores every lab against this tree, `make grade LAB=te`
# one; `labs/mklab LAB DIR` makes a student's starting tree (labs/README.md).
grade: setup all
	sh labs/grade.sh $(LAB)

compare: setup all
	sh tools/report.sh report

pictures: setup all
	sh tools/pictures.sh
