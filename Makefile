# SPDX-License-Identifier: GPL-2.0
# ZONE_DEVICE KUnit suites: every entry point; make help lists them.  Each
# checks what it needs first (tools/deps.sh) and on Debian installs what is
# missing, so a fresh Debian machine needs nothing but this checkout.

PYTHON ?= /usr/bin/python3
KVER ?= 7.3
KDIR ?=
ARCH ?=
ACCEL ?= auto
N ?= 20

# $(call q,x): x as one shell word, whatever spaces or quotes it has.
q = '$(subst ','\'',$(1))'
src_args := $(if $(KDIR),--kdir $(call q,$(KDIR)),--kver $(KVER))
arch_args := $(foreach a,$(ARCH),--arch $(a))
run_args := $(if $(FILTER),--filter $(call q,$(FILTER))) $(if $(INCREMENTAL),--incremental) \
	    $(if $(MODULES),--modules) $(if $(AS_IS),--as-is)

.PHONY: deps run test check mutants gate flake matrix bench fetch install uninstall series clean help

# make test and make matrix run arm64 too: its cross compiler and QEMU; test,
# check and series need a few tools more (sparse, checkpatch's, unifdef).
deps_args := $(ARCH) $(if $(filter test matrix,$(MAKECMDGOALS)),arm64) \
	     $(filter test check series,$(MAKECMDGOALS))

deps:
	@PYTHON='$(PYTHON)' sh tools/deps.sh $(sort $(deps_args))

fetch: deps
	@$(PYTHON) tools/fetch.py $(KVER)

run: deps
	@$(PYTHON) tools/run.py $(src_args) $(arch_args) --accel $(ACCEL) $(run_args)

install uninstall: deps
	@$(PYTHON) tools/install.py $@ $(if $(KDIR),$(call q,$(KDIR)),"$$($(PYTHON) tools/fetch.py $(KVER))")

check: deps
	@$(PYTHON) tools/selftest.py --only checkpatch $(src_args)

mutants: deps
	@$(PYTHON) tools/mutants.py $(src_args) $(arch_args) --accel $(ACCEL) $(if $(SHARD),--shard $(SHARD)) \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(MODULES),--modules) $(if $(AS_IS),--as-is)

matrix: deps
	@$(PYTHON) tools/matrix.py --accel $(ACCEL) $(if $(SHARD),--shard $(SHARD))

gate: deps
	@$(if $(PATCHES)$(BASE),,echo 'gate: PATCHES= (a .patch file, a directory of them or an mbox) or KDIR= BASE= (a git branch) is required' >&2; exit 2)
	@$(PYTHON) tools/gate.py $(if $(PATCHES),$(call q,$(PATCHES))) $(src_args) $(arch_args) --accel $(ACCEL) \
		$(if $(BASE),--base $(call q,$(BASE))) $(if $(AS_IS),--as-is)

flake: deps
	@$(PYTHON) tools/flake.py --runs $(N) $(src_args) $(if $(ARCH),--arch $(ARCH)) --accel $(ACCEL) \
		$(if $(LOAD),--load $(LOAD)) $(if $(MUTANTS),--mutants $(MUTANTS) $(foreach p,$(PATCHES),$(call q,$(p))))

bench: deps
	@$(PYTHON) tools/bench.py $(src_args)

# Its own kernel and build dir; not part of make test (no verdict comes from it).
.PHONY: coverage
coverage: deps
	@sh tools/deps.sh coverage
	@$(PYTHON) tools/coverage.py $(src_args) --accel $(ACCEL)

series: deps
	@$(if $(KDIR),,echo 'series: KDIR= is required (a clean git kernel tree)' >&2; exit 2)
	@$(PYTHON) tools/upstream.py --kdir $(call q,$(KDIR)) $(if $(OUT),--out $(call q,$(OUT)))

test: deps
	@$(PYTHON) tools/selftest.py $(src_args) --accel $(ACCEL) $(foreach s,$(SKIP),--skip $(s))

clean:
	rm -rf results

# One line per target and variable; README.md has the details, each tool's
# --help all of its options.  [...]: the value in effect.
define HELP
make <target> [VARIABLE=value ...]
targets:
  run          the suites on one kernel, QEMU x86_64 (ARCH=um, ARCH=arm64: the others)
  test         the project's own tests, mutants included, and the suites on every arch
  check        checkpatch --strict on mm-tests/
  mutants      every patches/regressions/*.patch must make a case fail
  matrix       every kernel and arch -> docs/semantics.md
  gate         the suites without and with PATCHES= (or KDIR= BASE=): 0 if none regressed
  flake        the suites N times: which case is not stable -> results/flake.md
  bench        how long each step takes, stock kunit.py beside it -> docs/measurements.md
  coverage     which device-memory lines of core mm the suites run (gcov) -> docs/coverage.md
  series       the suites as a format-patch series for linux-mm against KDIR's HEAD
  install      the suites into mm/tests/ of KDIR or the KVER tree (uninstall: out again)
  fetch        the Debian kernel source of KVER into the cache
  deps         check what the targets need, install it on Debian (tools/deps.sh; every target does)
  clean        remove results/
  help         this list
variables:
  KVER         Debian kernel series: 6.12, 7.2 or 7.3 [$(KVER)]
  KDIR         your own kernel tree instead of KVER (left as it was found)$(if $(KDIR), [$(KDIR)])
  ARCH         x86_64, arm64 or um (run: default x86_64; gate: x86_64 and um)$(if $(ARCH), [$(ARCH)])
  ACCEL        QEMU accelerator: auto (KVM if a 2 s probe boots, else TCG), kvm, tcg [$(ACCEL)]
  FILTER       run: only these suites or cases ('suite', 'suite.case', * and ?)
  INCREMENTAL  run, =1: rebuild with make alone when the .config is current
  MODULES      run, mutants, =1: the suites and KUnit as modules, from an initramfs
  SHARD        mutants, matrix, =K/N: only the K-th of N shares
  JOBS         mutants, =N: N patches at once, each in a private copy of its own
  PATCHES      gate: a .patch, a directory of them or an mbox; flake: the mutants
  BASE         gate with KDIR=: the branch whose merge base with HEAD is the baseline
  OUT          series: the output directory (default results/series)
  AS_IS        run, gate, mutants, =1: a tree that has the suites committed, used as it is
  SKIP         test: steps left out (SKIP=mutants)
  N            flake: how many runs [$(N)]
  LOAD         flake, =1: a CPU hog beside
  MUTANTS      flake: each mutant that many times (PATCHES= which ones)
  PYTHON       the Python the tools run with [$(PYTHON)]
endef

help:
	@:$(info $(HELP))
