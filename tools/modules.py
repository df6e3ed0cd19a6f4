# SPDX-License-Identifier: GPL-2.0
"""modules: the suites as loadable modules, loaded under QEMU as on a real
machine (tools/run.py --modules, make run MODULES=1).

kunit.py builds the kernel (its --kconfig_add: configs/modules.kconfig, and
every suite of mm-tests/.kunitconfig as =m, KUnit itself a module as distribution
kernels have it).  This module then makes an initramfs with the kernel's own
usr/gen_init_cpio: the .ko files and tools/zdt_init.c, built static with the
tree's nolibc for the arch under test.  kunit.py exec boots it (--qemu_args
-initrd).  The init loads kunit.ko, the fixture and each suite as modprobe
would (the command line's <module>.<param>= words as parameters), reads
debugfs kunit/<suite>/results, unloads every module and reboots.

Each module prints its own KTAP document as it loads ("KTAP version 1",
"1..1", its suite); merge_documents() makes them one document, numbered
through, that kunit.py parse and tools/results.py read as a built-in run's.
check_init() turns what the init logged into failures: a module that did not
load or unload, a suite whose debugfs results are missing."""

import os
import re
import subprocess
from typing import Dict, List, Tuple

from common import REPO, ToolError

KCONFIG = os.path.join(REPO, 'configs/modules.kconfig')
INIT_SOURCE = os.path.join(REPO, 'tools/zdt_init.c')
SUFFIX = '-modules'	# of the build dir and the results' names


def kunitconfig_suites(kunitconfig: str) -> List[str]:
	"""The suites' options the kunitconfig turns on (CONFIG_*_KUNIT_TEST=y)."""
	with open(kunitconfig, encoding='utf-8') as f:
		return re.findall(r'^(CONFIG_\w+_KUNIT_TEST)=y$', f.read(), re.M)


def kconfig_add(kunitconfig: str) -> List[str]:
	"""kunit.py --kconfig_add entries of the modular build."""
	with open(KCONFIG, encoding='utf-8') as f:
		lines = [l.strip() for l in f if l.startswith('CONFIG_')]
	return lines + [f'{c}=m' for c in kunitconfig_suites(kunitconfig)]


def module_objects() -> Dict[str, str]:
	"""Kconfig option -> object path under the build dir, from
	mm-tests/Makefile (tools/install.py puts it into mm/Makefile), in its
	order: the fixture first."""
	with open(os.path.join(REPO, 'mm-tests/Makefile'), encoding='utf-8') as f:
		pairs = re.findall(r'^obj-\$\((CONFIG_\w+)\) \+= (\S+)\.o$', f.read(), re.M)
	return {c: os.path.join('mm', obj) for c, obj in pairs}


def suite_names(objects: List[str]) -> List[str]:
	"""The KUnit suites of these objects (.name of each struct kunit_suite)."""
	names = []
	for obj in objects:
		src = os.path.join(REPO, 'mm-tests', os.path.basename(obj) + '.c')
		with open(src, encoding='utf-8') as f:
			names += re.findall(r'^static struct kunit_suite \w+ = \{\n\t\.name = "(\w+)"',
					    f.read(), re.M)
	return names


def load_order(kunitconfig: str) -> List[str]:
	"""The .ko files the init loads, in order, relative to the build dir:
	kunit.ko, the fixture, then each suite of the kunitconfig."""
	wanted = set(kunitconfig_suites(kunitconfig))
	objects = module_objects()
	return ['lib/kunit/kunit.ko'] + [o + '.ko' for c, o in objects.items()
					 if c == 'CONFIG_ZONE_DEVICE_KUNIT_FIXTURE' or c in wanted]


def build_init(tree: str, build_dir: str, cross_compile: str, arch: str, out,
	       source: str = INIT_SOURCE, name: str = 'zdt-initramfs') -> str:
	"""tools/zdt_init.c (or another init's source) built static with the
	tree's nolibc and the build dir's uapi headers (make headers, kbuild's
	own): the path of the binary, <build dir>/<name>/init."""
	p = subprocess.run(['make', f'ARCH={arch}', f'O={build_dir}', 'headers'], cwd=tree,
			   stdout=out, stderr=subprocess.STDOUT, check=False)
	if p.returncode:
		raise ToolError(f'make headers failed in {build_dir} (exit {p.returncode})')
	init = os.path.join(build_dir, name, 'init')
	os.makedirs(os.path.dirname(init), exist_ok=True)
	cmd = [f'{cross_compile}gcc', '-Os', '-static', '-nostdlib', '-fno-stack-protector',
	       '-fno-asynchronous-unwind-tables', '-fno-ident', '-s',
	       '-I', os.path.join(build_dir, 'usr/include'),
	       '-include', os.path.join(tree, 'tools/include/nolibc/nolibc.h'),
	       '-o', init, source, '-lgcc']
	p = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
	if p.returncode:
		raise ToolError(f'building the init failed: {" ".join(cmd)} (exit {p.returncode})')
	return init


def cpio_list(build_dir: str, init: str, kos: List[str], suites: List[str]) -> Tuple[str, str]:
	"""gen_init_cpio's list of the initramfs, and its /zdt-init.conf."""
	conf = ''.join(f'load /{os.path.basename(k)}\n' for k in kos) + \
	       ''.join(f'results {s}\n' for s in suites)
	lines = ['dir /dev 0755 0 0', 'nod /dev/console 0600 0 0 c 5 1',
		 'nod /dev/kmsg 0600 0 0 c 1 11', 'dir /proc 0755 0 0', 'dir /sys 0755 0 0',
		 f'file /init {init} 0755 0 0',
		 f'file /zdt-init.conf {os.path.join(os.path.dirname(init), "zdt-init.conf")} 0644 0 0']
	for k in kos:
		path = os.path.join(build_dir, k)
		if not os.path.isfile(path):
			raise ToolError(f'{path} was not built: is its option =m in {build_dir}/.config?')
		lines.append(f'file /{os.path.basename(k)} {path} 0644 0 0')
	return '\n'.join(lines) + '\n', conf


def make_initramfs(tree: str, build_dir: str, cross_compile: str, arch: str,
		   kunitconfig: str, out) -> str:
	"""The initramfs of a modular build (kunit.py built it): its path."""
	init = build_init(tree, build_dir, cross_compile, arch, out)
	kos = load_order(kunitconfig)
	objects = [o for c, o in module_objects().items() if c != 'CONFIG_ZONE_DEVICE_KUNIT_FIXTURE'
		   and c in set(kunitconfig_suites(kunitconfig))]
	listing, conf = cpio_list(build_dir, init, kos, suite_names(objects))
	work = os.path.dirname(init)
	with open(os.path.join(work, 'zdt-init.conf'), 'w', encoding='utf-8') as f:
		f.write(conf)
	with open(os.path.join(work, 'cpio.list'), 'w', encoding='utf-8') as f:
		f.write(listing)
	gen = os.path.join(build_dir, 'usr/gen_init_cpio')
	if not os.access(gen, os.X_OK):
		raise ToolError(f'{gen} missing: the build has no CONFIG_BLK_DEV_INITRD')
	cpio = os.path.join(work, 'initramfs.cpio')
	with open(cpio, 'wb') as f:
		p = subprocess.run([gen, os.path.join(work, 'cpio.list')], stdout=f,
				   stderr=out, check=False)
	if p.returncode:
		raise ToolError(f'gen_init_cpio failed (exit {p.returncode}), list {work}/cpio.list')
	out.write(f'[initramfs] {cpio}: init and {len(kos)} modules: '
		  + ' '.join(os.path.basename(k) for k in kos) + '\n')
	out.flush()
	return cpio


KTAP_VERSION = re.compile(r'^KTAP version \d+$')
PLAN = re.compile(r'^1\.\.\d+$')
TOP_RESULT = re.compile(r'^(not )?ok \d+(.*)$')
INIT_LINE = re.compile(r'^zdt-init: (.*)$')


def merge_documents(lines: List[str]) -> Tuple[List[str], List[str]]:
	"""The KTAP documents the modules printed one after another (kunit.py's
	extract_tap_lines() output, from the first 'KTAP version'), as one
	document: one header, one plan, the top-level results numbered through.
	Also the init's own lines, taken out."""
	body, init = [], []
	total, i = 0, 0
	while i < len(lines):
		line = lines[i].rstrip('\n')
		i += 1
		m = INIT_LINE.match(line)
		if m:
			init.append(m.group(1))
		elif KTAP_VERSION.match(line):
			if i < len(lines) and PLAN.match(lines[i].rstrip('\n')):
				i += 1
		elif TOP_RESULT.match(line):
			total += 1
			m = TOP_RESULT.match(line)
			body.append(f'{m.group(1) or ""}ok {total}{m.group(2)}')
		else:
			body.append(line)
	return ['KTAP version 1', f'1..{total}'] + body, init


def check_init(init: List[str], kos: int, suites: List[str]) -> List[str]:
	"""What went wrong, by the init's own lines: modules that failed to
	load or unload, suites whose debugfs results are missing or empty."""
	problems = [l for l in init if re.match(r'(load|unload) failed|cannot ', l)]
	seen = {}
	for l in init:
		m = re.match(r'debugfs results of (\w+): (-?\d+)$', l)
		if m:
			seen[m.group(1)] = int(m.group(2))
	for s in suites:
		if seen.get(s, -1) <= 0:
			problems.append(f'debugfs kunit/{s}/results missing or empty')
	if not any(l == 'done' for l in init):
		problems.append('the init did not finish')
	else:
		m = [l for l in init if l.startswith('unloaded modules: ')]
		if not m or m[-1] != f'unloaded modules: {kos}':
			problems.append(f'not every module unloaded ({m[-1] if m else "no count"}, {kos} loaded)')
	return problems

