#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# safety_proof: docs/safety.md's claims on real kernels (builds and boots).
#
#   tools/safety_proof.sh list         the cases
#   tools/safety_proof.sh CASE...      run those (all: every one, ~1 h on 2 CPUs)
#
# Each case prints what it does, checks what it can and ends with
# "CASE: ok" or "CASE: FAILED: why"; the exit status is the number of failed
# cases.  Scratch trees and logs go to $PROOF (default results/proof); the
# runs use the cache as they find it ($ZDT_CACHE or ~/.cache/zone-device-kunit):
# run it when nobody else uses that cache, or give it a ZDT_CACHE of its own
# (then the first build is cold).  Only processes it started are signalled,
# by their pid.  ARCH (default x86_64) and PATCH (default the first
# patches/regressions patch, caught by the zone_device_pgmap suite) can be set.
set -u
cd "$(dirname "$0")/.." || exit 2
REPO=$PWD
PROOF=${PROOF:-$REPO/results/proof}
ARCH=${ARCH:-x86_64}
PATCH=${PATCH:-$REPO/patches/regressions/0001-fsdax-p2pdma-start-at-refcount-one.patch}
SUITE=${SUITE:-zone_device_pgmap}
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$PROOF"
failed=0

say() { printf '\n=== %s\n' "$*"; }
fail() { echo "$CASE: FAILED: $*"; failed=$((failed + 1)); }
ok() { echo "$CASE: ok"; }
# Waits (up to $2 s) until file $1 has a line matching $3.
wait_for() {
	local i
	for ((i = 0; i < $2; i++)); do
		grep -q -- "$3" "$1" 2>/dev/null && return 0
		sleep 1
	done
	return 1
}
# A git kernel tree: Debian's 7.3 committed as master, branch topic checked
# out, an uncommitted edit in mm/Kconfig.
git_tree() {
	local d=$PROOF/git-linux
	if [ ! -d "$d" ]; then
		"$PY" tools/kernel_ci.py --make-tree "$d" --kver 7.3 >/dev/null || return 1
	fi
	git -C "$d" checkout -q -- . && git -C "$d" checkout -q topic
	echo '# an uncommitted edit (safety_proof)' >>"$d/mm/Kconfig"
	echo "$d"
}
# The user's tree as the checks want it: branch, HEAD, only the edit.
check_git_tree() {
	local d=$1 head=$2
	[ "$(git -C "$d" rev-parse HEAD)" = "$head" ] || { fail "HEAD moved"; return 1; }
	[ "$(git -C "$d" symbolic-ref --short HEAD)" = topic ] || { fail "branch changed"; return 1; }
	[ "$(git -C "$d" status --porcelain --untracked-files=no)" = ' M mm/Kconfig' ] ||
		{ fail "tracked files changed: $(git -C "$d" status --porcelain | head -3)"; return 1; }
	grep -q 'an uncommitted edit' "$d/mm/Kconfig" || { fail "the edit is gone"; return 1; }
	[ "$(git -C "$d" worktree list | wc -l)" = 1 ] || { fail "a worktree was left"; return 1; }
	git -C "$d" log --format=%s -1 | grep -q 'Subject\|fsdax' && { fail "a commit of the series"; return 1; }
	return 0
}
cached_tree() { "$PY" tools/fetch.py 7.3; }
# True if $PATCH is applied in tree $1.
patched() { (cd "$1" && patch -p1 --dry-run -R -s -f -i "$PATCH" >/dev/null 2>&1); }

case_two_runs() {
	say "two make run at once on the cached tree: the second waits, no two makes in one build dir"
	make -s run ARCH="$ARCH" FILTER="$SUITE" >"$PROOF/run1.log" 2>&1 &
	local p1=$!
	sleep 5
	make -s run ARCH="$ARCH" FILTER="$SUITE" >"$PROOF/run2.log" 2>&1 &
	local p2=$!
	wait $p1; local r1=$?
	wait $p2; local r2=$?
	grep -q 'waiting for the kernel tree' "$PROOF/run2.log" || { fail "run 2 did not wait"; return; }
	[ $r1 = 0 ] && [ $r2 = 0 ] || { fail "exit $r1 and $r2 (logs $PROOF/run[12].log)"; return; }
	ok
}

case_run_during_gate() {
	say "make run during make gate: the gate's patched build is in its copy; the run builds stock"
	local tree; tree=$(cached_tree)
	"$PY" tools/gate.py "$PATCH" --kver 7.3 --arch "$ARCH" --filter "$SUITE*" \
		--results "$PROOF/gate-rdg" >"$PROOF/gate-rdg.log" 2>&1 &
	local g=$!
	wait_for "$PROOF/gate-rdg.log" 3600 '/patched/' || { fail "the gate never reached its patched run"; kill $g; return; }
	patched "$tree" && { fail "the cached tree has the patch"; kill $g; return; }
	make -s run ARCH="$ARCH" FILTER="$SUITE" >"$PROOF/run-rdg.log" 2>&1; local r=$?
	wait $g; local rg=$?
	[ $r = 0 ] || { fail "make run during the gate: exit $r (stock must pass; $PROOF/run-rdg.log)"; return; }
	[ $rg = 1 ] || { fail "the gate: exit $rg, not 1 (the patch regresses $SUITE)"; return; }
	patched "$tree" && { fail "the cached tree has the patch"; return; }
	ok
}

gate_on_git() {	# $1: signal; the gate is started directly, to know its pid
	local sig=$1
	GTREE=$(git_tree) || { fail "no git tree"; return 1; }
	GHEAD=$(git -C "$GTREE" rev-parse HEAD)
	"$PY" tools/gate.py "$PATCH" --kdir "$GTREE" --arch "$ARCH" --filter "$SUITE*" \
		--results "$PROOF/gate-$sig" >"$PROOF/gate-$sig.log" 2>&1 &
	local g=$!
	wait_for "$PROOF/gate-$sig.log" 3600 '/patched/' || { fail "never reached the patched run"; kill $g; return 1; }
	sleep "${MID:-20}"	# in the middle of the patched build (MID=3 when it is incremental)
	check_git_tree "$GTREE" "$GHEAD" || { kill $g; return 1; }
	kill -s "$sig" $g
	wait $g
	GEXIT=$?
	echo "gate exit $GEXIT after SIG$sig"
	check_git_tree "$GTREE" "$GHEAD"
}

case_kill9_gate() {
	say "kill -9 of a gate mid-build on a git KDIR with an uncommitted edit"
	gate_on_git KILL || return
	# Its run.py goes on with the copy's lock: the next gate waits, then runs.
	"$PY" tools/gate.py "$PATCH" --kdir "$GTREE" --arch "$ARCH" --filter "$SUITE*" \
		--results "$PROOF/gate-after" >"$PROOF/gate-after.log" 2>&1
	local r=$?
	grep -q 'waiting for the private copy' "$PROOF/gate-after.log" ||
		echo "(the next gate did not wait: the killed gate's run.py had ended)"
	[ $r = 1 ] || { fail "the next gate: exit $r, not 1 ($PROOF/gate-after.log)"; return; }
	check_git_tree "$GTREE" "$GHEAD" && ok
}

case_sighup_gate() {
	say "SIGHUP of a gate mid-build on a git KDIR with an uncommitted edit"
	gate_on_git HUP || return
	[ "$GEXIT" = 129 ] || { fail "the gate exited $GEXIT, not 129"; return; }
	sleep 15	# its run.py got SIGTERM, then SIGKILL after 10 s
	local work
	work=$("$PY" -c 'import sys; sys.path.insert(0, "tools"); import common, os; print(os.path.join(common.cache_dir(), "work"))')
	pgrep -f "tools/run.py --kdir $work" >/dev/null && { fail "a run.py outlived the gate"; return; }
	ok
}

case_non_git() {
	say "a non-git KDIR: gate (copy), run, and a run killed with kill -9 undone by the next"
	local src tree; src=$(cached_tree); tree=$PROOF/plain-linux
	if [ ! -d "$tree" ]; then
		cp -a "$src" "$tree" && "$PY" tools/install.py uninstall "$tree" >/dev/null
	fi
	"$PY" tools/gate.py "$PATCH" --kdir "$tree" --arch "$ARCH" --filter "$SUITE*" \
		--results "$PROOF/gate-plain" >"$PROOF/gate-plain.log" 2>&1
	[ $? = 1 ] || { fail "gate exit not 1 ($PROOF/gate-plain.log)"; return; }
	patched "$tree" && { fail "the tree has the patch"; return; }
	md5s() { (cd "$tree" && find . -type f -print0 | sort -z | xargs -0 md5sum); }
	md5s >"$PROOF/plain-before.md5"
	"$PY" tools/run.py --kdir "$tree" --arch "$ARCH" --filter "$SUITE" \
		--results "$PROOF/run-plain" >"$PROOF/run-plain.log" 2>&1 &
	local r=$!
	wait_for "$PROOF/run-plain.log" 600 'kunit.py run' || { fail "run.py did not start"; return; }
	sleep 15
	kill -9 $r
	wait $r
	"$PY" tools/install.py status "$tree" | grep -q '^installed' || { fail "no residue to undo"; return; }
	# The next run waits for the killed run's kunit.py (it has the locks), then undoes it.
	make -s run KDIR="$tree" ARCH="$ARCH" FILTER="$SUITE" >"$PROOF/run-plain2.log" 2>&1
	grep -q 'took out the suites it had installed' "$PROOF/run-plain2.log" ||
		{ fail "the next run did not undo the killed one ($PROOF/run-plain2.log)"; return; }
	md5s | cmp -s - "$PROOF/plain-before.md5" || { fail "the tree is not as it was"; return; }
	ok
}

case_read_only() {
	say "a read-only KDIR: make run says so in one line; make gate works"
	local tree=$PROOF/plain-linux ro=$PROOF/ro-linux
	[ -d "$tree" ] || { cp -a "$(cached_tree)" "$tree" && "$PY" tools/install.py uninstall "$tree" >/dev/null; }
	mkdir -p "$ro"
	mountpoint -q "$ro" || { mount --bind "$tree" "$ro" && mount -o remount,ro,bind "$ro"; } ||
		{ fail "cannot bind-mount read-only (root needed)"; return; }
	make -s run KDIR="$ro" ARCH="$ARCH" >"$PROOF/run-ro.log" 2>&1; local r=$?
	umount_ro() { umount "$ro"; }
	[ $r = 2 ] && [ "$(grep -c . "$PROOF/run-ro.log")" -le 2 ] && grep -q 'read-only' "$PROOF/run-ro.log" ||
		{ fail "make run: exit $r, $PROOF/run-ro.log"; umount_ro; return; }
	"$PY" tools/gate.py "$PATCH" --kdir "$ro" --arch "$ARCH" --filter "$SUITE*" \
		--results "$PROOF/gate-ro" >"$PROOF/gate-ro.log" 2>&1; r=$?
	umount_ro
	[ $r = 1 ] || { fail "gate on the read-only tree: exit $r ($PROOF/gate-ro.log)"; return; }
	ok
}

case_spaces() {
	say "a KDIR with a space: make run says so in one line; make gate works"
	local tree="$PROOF/my trees/linux"
	[ -d "$tree" ] || { mkdir -p "$PROOF/my trees" && cp -a "$(cached_tree)" "$tree" &&
			    "$PY" tools/install.py uninstall "$tree" >/dev/null; }
	make -s run KDIR="$tree" ARCH="$ARCH" >"$PROOF/run-sp.log" 2>&1; local r=$?
	[ $r = 2 ] && grep -q 'has a space or a colon' "$PROOF/run-sp.log" || { fail "make run: exit $r"; return; }
	make -s gate KDIR="$tree" PATCHES="$PATCH" ARCH="$ARCH" >"$PROOF/gate-sp.log" 2>&1; r=$?
	# make turns the gate's 1 into 2: the verdict is in the log.
	grep -q 'gate: FAIL: the series regresses the suites' "$PROOF/gate-sp.log" ||
		{ fail "gate on the spaced path: exit $r ($PROOF/gate-sp.log)"; return; }
	ok
}

CASES="two_runs run_during_gate kill9_gate sighup_gate non_git read_only spaces"
[ $# -gt 0 ] || set -- list
for CASE in "$@"; do
	case $CASE in
	list) echo "$CASES" | tr ' ' '\n'; exit 0 ;;
	all) for c in $CASES; do CASE=$c; "case_$c"; done ;;
	*)
		case " $CASES " in *" ${CASE//-/_} "*) ;; *) echo "unknown case $CASE ($CASES)" >&2; exit 2 ;; esac
		CASE=${CASE//-/_}
		"case_$CASE" ;;
	esac
done
echo "safety_proof: $failed case(s) failed"
exit $failed
