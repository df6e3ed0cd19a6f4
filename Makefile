# SPDX-License-Identifier: GPL-2.0
# ZONE_DEVICE KUnit suites: every entry point.  All of them install their own
# Debian dependencies first (tools/deps.sh), so a fresh machine needs nothing
# but this checkout.
#
#   make run                 the suites on the default kernel (Debian 7.3), UML + QEMU x86_64
#                            (UML with patches/uml's arch/um series: README "UML")
#   make run ARCH=arm64      QEMU arm64 (virt, TCG), cross-built: deps installs the cross
#                            compiler and QEMU (a cold arm64 build adds ~6 min; README "arm64")
#   make run KVER=6.12       another Debian kernel (6.12, 7.2, 7.3)
#   make run KDIR=~/linux    your own tree (left as it was found)
#   make run FILTER='zone_device_fault*'   only those suites or cases (kunit.py's
#                            filter_glob: 'suite', 'suite.case', * and ?)
#   make run INCREMENTAL=1   rebuild with make alone when kunit.py would keep the
#                            .config (no kunit.py olddefconfig, ~5 s): with
#                            ARCH=x86_64 FILTER=<suite>, edit -> verdict in ~17 s
#   make run MODULES=1       the suites and KUnit as modules, loaded under QEMU from an
#                            initramfs as on a real machine (x86_64 unless ARCH=; README
#                            "Modules on a real machine")
#   make test                the project's own tests, mutants included (what .ci/run calls);
#                            the suites on x86_64, arm64 and UML (SKIP=mutants: a CI that
#                            runs make mutants SHARD= in parallel jobs instead)
#   make check               checkpatch --strict on mm-tests/
#   make mutants             every patches/regressions/*.patch must make a case fail
#                            (SHARD=K/N: the K-th of N shares, one per CI runner;
#                            tools/mutants.py --merge DIR... makes one table of them;
#                            MODULES=1: against the suites built as modules; ARCH=um:
#                            under UML with patches/uml, README "UML")
#   make matrix              every kernel (6.12, 7.2, 7.3; arm64 and UML on 7.3) -> docs/semantics.md
#                            (SHARD=K/N: a share of the runs, no document; merge the
#                            results dirs and run tools/matrix.py --no-run --results <dir>)
#   make gate PATCHES=x      the suites without and with a series (file, dir or mbox);
#                            exit 0 only if no case regressed (tools/gate.py); make
#                            turns every other status into 2: CI calls .ci/gate, whose
#                            status is the gate's own (0/1/2/3/4)
#   make gate KDIR=~/linux BASE=origin/master   the gate for a kernel branch: the merge
#                            base of HEAD and BASE against HEAD (the tree is left on its branch)
#   make series KDIR=~/linux the suites as a git format-patch series for linux-mm against
#                            KDIR's HEAD (tools/upstream.py; OUT=dir, default results/series)
#   make bench               how long each step takes, stock kunit.py beside this
#                            project (tools/bench.py, ~15 min; README=1 writes
#                            the README's speed table)
#   make flake N=20          the suites N times on one kernel: which case is not stable
#                            (LOAD=1: a CPU hog beside; MUTANTS=3: each mutant 3 times,
#                            PATCHES= which ones); tools/flake.py -> results/flake.md
#
# ARCH=x86_64, ARCH=arm64 or ARCH=um: a run on that arch only (without ARCH:
# x86_64 and um); ACCEL=kvm lets QEMU try KVM
# (default tcg: KVM guests hang on the project's machines).

PYTHON ?= /usr/bin/python3
KVER ?= 7.3
KDIR ?=
ARCH ?=
ACCEL ?= tcg
N ?= 20

# $(call q,x): x as one shell word, whatever spaces or quotes it has.
q = '$(subst ','\'',$(1))'
src_args := $(if $(KDIR),--kdir $(call q,$(KDIR)),--kver $(KVER))
arch_args := $(foreach a,$(ARCH),--arch $(a))
run_args := $(if $(FILTER),--filter $(call q,$(FILTER))) $(if $(INCREMENTAL),--incremental) \
	    $(if $(MODULES),--modules) $(if $(AS_IS),--as-is)

.PHONY: deps run test check mutants gate flake matrix bench fetch install uninstall series clean

# make test and make matrix run arm64 too: its cross compiler and QEMU.
deps_arches := $(ARCH) $(if $(filter test matrix,$(MAKECMDGOALS)),arm64)

deps:
	@sh tools/deps.sh $(sort $(deps_arches))

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
		$(if $(MODULES),--modules) $(if $(AS_IS),--as-is)

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
	@$(PYTHON) tools/bench.py $(src_args) $(if $(README),--readme)

series: deps
	@$(if $(KDIR),,echo 'series: KDIR= is required (a clean git kernel tree)' >&2; exit 2)
	@$(PYTHON) tools/upstream.py --kdir $(call q,$(KDIR)) $(if $(OUT),--out $(call q,$(OUT)))

test: deps
	@$(PYTHON) tools/selftest.py $(src_args) --accel $(ACCEL) $(foreach s,$(SKIP),--skip $(s))

clean:
	rm -rf results
