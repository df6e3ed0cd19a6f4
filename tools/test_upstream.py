# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/upstream.py (make series) on a scratch git tree: no
kernel is built; docs/upstream.md has the commands for a real 7.3 tree."""

import glob
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402
import upstream  # noqa: E402
from common import ToolError  # noqa: E402
from testutil import ScratchTreeCase, snapshot  # noqa: E402

KCONFIG = '''menu "Memory Management options"

config LAZY_MMU_MODE_KUNIT_TEST
	tristate "KUnit tests for the lazy MMU mode" if !KUNIT_ALL_TESTS
	depends on KUNIT
	help
	  Upstream's.

source "mm/damon/Kconfig"

endmenu
'''
MAINTAINERS = '''MEMORY MANAGEMENT - THP (TRANSPARENT HUGE PAGE)
M:	A <a@b>
F:	mm/huge_memory.c

MEMORY MANAGEMENT - USERFAULTFD
M:	B <b@c>
F:	mm/userfaultfd.c

MEMORY MANAGEMENT - RUST
M:	C <c@d>
'''


# Where the functions the fixture calls are defined, as 7.3 has them.
SOURCES = {
	'kernel/fork.c': '#include <linux/sched.h>\n#include <kunit/visibility.h>\n\n'
			 'pid_t kernel_clone(struct kernel_clone_args *args)\n{\n\treturn 0;\n}\n',
	'mm/folio.c': '#include <linux/mm.h>\n#include <linux/swap.h>\n#include "internal.h"\n\n'
		      '#ifdef CONFIG_SMP\nvoid lru_add_drain_all(void)\n{\n'
		      '\t__lru_add_drain_all(false);\n}\n#else\nvoid lru_add_drain_all(void)\n{\n'
		      '\tlru_add_drain();\n}\n#endif /* CONFIG_SMP */\n',
	'mm/migrate_device.c': '#include <linux/export.h>\n#include <linux/mm.h>\n'
			       '#include <asm/tlbflush.h>\n#include "internal.h"\n\n'
			       'int migrate_device_coherent_folio(struct folio *folio)\n{\n'
			       '\treturn -EBUSY;\n}\n',
	'mm/mprotect.c': '#include <linux/mm.h>\n#include <uapi/linux/mman.h>\n#include "internal.h"\n\n'
			 '/*\n * pkey==-1 when doing a legacy mprotect()\n */\n'
			 'static int do_mprotect_pkey(unsigned long start, size_t len,\n'
			 '\t\tunsigned long prot, int pkey)\n{\n\tif (!len)\n\t\treturn 0;\n'
			 '\treturn -EINVAL;\n}\n\nSYSCALL_DEFINE3(mprotect, unsigned long, start, '
			 'size_t, len,\n\t\tunsigned long, prot)\n{\n'
			 '\treturn do_mprotect_pkey(start, len, prot, -1);\n}\n',
	'mm/mmap.c': '#include <linux/mm.h>\n#include <linux/syscalls.h>\n\n'
		     'unsigned long ksys_mmap_pgoff(unsigned long addr, unsigned long len,\n'
		     '\t\t\t      unsigned long prot, unsigned long flags,\n'
		     '\t\t\t      unsigned long fd, unsigned long pgoff)\n{\n\treturn 0;\n}\n',
	'mm/madvise.c': '#include <linux/mman.h>\n#include <linux/mm.h>\n\n'
			'int do_madvise(struct mm_struct *mm, unsigned long start, size_t len_in, int behavior)\n'
			'{\n\treturn 0;\n}\n',
	'mm/mempolicy.c': '#include <linux/mm.h>\n#include <linux/sched/sysctl.h>\n\n'
			  '#ifdef CONFIG_NUMA_BALANCING\n'
			  'unsigned long change_prot_numa(struct vm_area_struct *vma,\n'
			  '\t\t\tunsigned long addr, unsigned long end)\n{\n\treturn 0;\n}\n'
			  '#endif /* CONFIG_NUMA_BALANCING */\n',
	'kernel/sched/core.c': '#include <linux/sched.h>\n#include <linux/sched/sysctl.h>\n\n'
			       '#include "sched.h"\n\n#ifdef CONFIG_NUMA_BALANCING\n'
			       'int sysctl_numa_balancing_mode;\n\n'
			       'static void __set_numabalancing_state(bool enabled)\n{\n}\n#endif\n',
	'mm/internal.h': '#ifndef __MM_INTERNAL_H\n#define __MM_INTERNAL_H\n\n'
			 'int migrate_device_coherent_folio(struct folio *folio);\n\n'
			 '#endif\t/* __MM_INTERNAL_H */\n',
}


class SeriesOutTest(ScratchTreeCase):

	def git(self, tree, *args):
		return subprocess.run(['git', '-C', tree, '-c', 'user.name=T', '-c', 'user.email=t@t',
				       *args], capture_output=True, text=True, check=True).stdout

	def setUp(self):
		super().setUp()
		with open(os.path.join(self.tree, 'mm/Kconfig'), 'w') as f:
			f.write(KCONFIG)
		with open(os.path.join(self.tree, 'mm/Makefile'), 'w') as f:
			f.write('obj-y += memory.o\nobj-$(CONFIG_LAZY_MMU_MODE_KUNIT_TEST) += '
				'tests/lazy_mmu_mode_kunit.o\nobj-y += last.o\n')
		with open(os.path.join(self.tree, 'MAINTAINERS'), 'w') as f:
			f.write(MAINTAINERS)
		for rel, text in SOURCES.items():
			os.makedirs(os.path.join(self.tree, os.path.dirname(rel)), exist_ok=True)
			with open(os.path.join(self.tree, rel), 'w') as f:
				f.write(text)
		# Debian's source package ignores every path at the top level.
		with open(os.path.join(self.tree, '.gitignore'), 'w') as f:
			f.write('/*\n!/debian/\n')
		self.git(self.tree, 'init', '-q', '-b', 'master')
		self.git(self.tree, 'add', '-f', '-A')
		self.git(self.tree, 'commit', '-qm', 'base')
		self.git(self.tree, 'config', 'user.name', 'T')
		self.git(self.tree, 'config', 'user.email', 't@t')

	def test_series_applies_in_order_one_patch_per_suite(self):
		def tree_files():
			return {k: v for k, v in snapshot(self.tree).items() if not k.startswith('.git')}
		before = tree_files()
		out = os.path.join(self.d, 'out')
		files = upstream.make_series(self.tree, out)
		suites = len(glob.glob(os.path.join(upstream.SRC, '*_kunit.c')))
		exports = len(upstream.kunit_exports())
		# cover letter, the exports, fixture, suites
		self.assertEqual(len(files), 1 + exports + 1 + suites)
		self.assertEqual(tree_files(), before)	# the tree is not touched
		self.assertNotIn('zdt-series', self.git(self.tree, 'worktree', 'list'))
		with open(files[0]) as f:
			cover = f.read()
		self.assertRegex(cover, r'Subject: \[PATCH 0+/\d+\] mm/tests: KUnit tests for ZONE_DEVICE')
		self.assertNotIn('*** ', cover)
		with open(files[1 + exports]) as f:
			self.assertIn('mm/tests: add a fixture for ZONE_DEVICE KUnit tests', f.read())
		with open(files[2 + exports]) as f:
			first = f.read()
		self.assertRegex(first, r'Subject: \[PATCH %02d/\d+\] mm/tests: add KUnit tests for '
				 % (2 + exports))
		self.assertIn('Signed-off-by: T <t@t>', first)
		self.assertIn('Each case checks one rule:', first)
		self.assertRegex(first, r'commit [0-9a-f]{12} \("')
		# git am of the series onto the base gives the suites inside the menu.
		self.git(self.tree, 'checkout', '-qb', 'applied')
		for p in files[1:]:
			self.git(self.tree, 'am', '-q', p)
		with open(os.path.join(self.tree, 'mm/Kconfig')) as f:
			kconfig = f.read()
		self.assertLess(kconfig.index('config ZONE_DEVICE_EXCLUSIVE_KUNIT_TEST'),
				kconfig.index('source "mm/damon/Kconfig"'))
		self.assertLess(kconfig.index('config LAZY_MMU_MODE_KUNIT_TEST'),
				kconfig.index('config ZONE_DEVICE_KUNIT_FIXTURE'))
		with open(os.path.join(self.tree, 'mm/Makefile')) as f:
			mk = f.read()
		self.assertLess(mk.index('zone_device_exclusive_kunit.o'), mk.index('last.o'))
		with open(os.path.join(self.tree, 'MAINTAINERS')) as f:
			maint = f.read()
		start = maint.index(upstream.SECTION)
		sec = maint[start:maint.find('\n\n', start) % (len(maint) + 1)]
		fs = re.findall(r'^F:\t(.*)$', sec, re.M)
		self.assertEqual(fs, sorted(fs))
		self.assertEqual(len(fs), len(upstream.fixture_files()) + suites)
		# After the last MEMORY MANAGEMENT section that sorts before it.
		self.assertLess(maint.index('MEMORY MANAGEMENT - RUST'), start)
		# The fixture patch carries the suites' .kunitconfig, as it is...
		self.assertIn('mm/tests/.kunitconfig', fs)
		with open(os.path.join(self.tree, 'mm/tests/.kunitconfig')) as f, \
		     open(os.path.join(upstream.SRC, '.kunitconfig')) as g:
			self.assertEqual(f.read(), g.read())
		# ... and the compat header resolved for the tree (7.3.4).
		with open(os.path.join(self.tree, 'mm/tests', upstream.COMPAT)) as f:
			compat = f.read()
		for gone in ('LINUX_VERSION_CODE', 'KERNEL_VERSION', 'ZDT_KERNEL_AT_LEAST',
			     'linux/version.h', '\tpage_free', '= make_device_exclusive_range('):
			self.assertNotIn(gone, compat)
		self.assertIn('#define ZDT_FREE_OP\t\t\tfolio_free\n', compat)
		self.assertIn('#ifdef CONFIG_PER_VMA_LOCK\n', compat)

	@unittest.skipUnless(shutil.which('unifdef'), 'no unifdef (make deps: tools/deps.sh series)')
	def test_a_612_tree_gets_the_612_forms_and_its_kunitconfig_kept(self):
		with open(os.path.join(self.tree, 'Makefile'), 'w') as f:
			f.write('VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 9\n')
		os.makedirs(os.path.join(self.tree, 'mm/tests'))
		with open(os.path.join(self.tree, 'mm/tests/.kunitconfig'), 'w') as f:
			f.write('CONFIG_KUNIT=y\nCONFIG_LAZY_MMU_MODE_KUNIT_TEST=y\n')
		# 6.12's lru_add_drain_all() is in mm/swap.c; a fork.c without
		# <kunit/visibility.h> gets it.
		self.git(self.tree, 'mv', 'mm/folio.c', 'mm/swap.c')
		with open(os.path.join(self.tree, 'kernel/fork.c'), 'w') as f:
			f.write(SOURCES['kernel/fork.c'].replace('#include <kunit/visibility.h>\n', ''))
		self.git(self.tree, 'add', '-f', '-A')
		self.git(self.tree, 'commit', '-qm', '6.12')
		files = upstream.make_series(self.tree, os.path.join(self.d, 'out'))
		with open(files[1]) as f:
			self.assertIn('+++ b/mm/swap.c\n', f.read())
		with open(files[4]) as f:
			self.assertIn(' #include <linux/sched.h>\n+#include <kunit/visibility.h>\n', f.read())
		fixture_patch, = [p for p in files if p.endswith('-a-fixture-for-ZONE_DEVICE-KUnit-tests.patch')]
		with open(fixture_patch) as f:
			fixture = f.read()
		self.assertIn('+#define ZDT_FREE_OP\t\t\tpage_free\n', fixture)
		# MODULE_IMPORT_NS() of 6.12 takes a bare name.
		self.assertIn('+#define ZDT_KUNIT_NS\t\t\tEXPORTED_FOR_KUNIT_TESTING\n', fixture)
		compat = fixture.split('+++ b/mm/tests/zone_device_compat.h')[1].split('diff --git')[0]
		self.assertNotIn('\tfolio_free', compat)
		self.assertIn('= make_device_exclusive_range(', compat)
		self.assertIn('+#if defined(CONFIG_PER_VMA_LOCK) && '
			      'IS_BUILTIN(CONFIG_ZONE_DEVICE_FAULT_KUNIT_TEST)\n', fixture)
		# Their .kunitconfig stays, ours comes after it.
		self.assertRegex(fixture, r' CONFIG_LAZY_MMU_MODE_KUNIT_TEST=y\n\+\n\+# The ZONE_DEVICE')

	def applied(self, files):
		"""The tree on a branch with the series applied (git am)."""
		self.git(self.tree, 'checkout', '-qb', 'applied')
		for p in files[1:]:
			self.git(self.tree, 'am', '-q', p)

	def read(self, rel):
		with open(os.path.join(self.tree, rel)) as f:
			return f.read()

	def test_exports_for_kunit_first_one_patch_per_function(self):
		"""Before the fixture, one patch per function the fixture calls,
		each its own message; applied, each function is exported for
		KUnit after its definition (both of lru_add_drain_all()'s), the
		static one VISIBLE_IF_KUNIT and declared for KUnit, and the
		fixture calls them: no fallback, no skip for a module."""
		exports = upstream.kunit_exports()
		self.assertEqual([e.symbol for e in exports],
				 ['lru_add_drain_all', 'migrate_device_coherent_folio',
				  'do_mprotect_pkey', 'kernel_clone', 'do_madvise',
				  'ksys_mmap_pgoff', 'change_prot_numa', 'sysctl_numa_balancing_mode'])
		files = upstream.make_series(self.tree, os.path.join(self.d, 'out'))
		with open(files[0]) as f:
			cover = ' '.join(f.read().split())
		self.assertIn(f'Patches 1-8 export the mm-internal symbols the tests use for KUnit '
			      f'only (EXPORT_SYMBOL_IF_KUNIT), one each, so that the tests also run as '
			      f'modules. Patch 9 is the fixture the suites share; patches 10-{len(files) - 1} '
			      f'add one suite each', cover)
		for e, patch in zip(exports, files[1:]):
			with open(patch) as f:
				text = f.read()
			self.assertIn(e.message.splitlines()[0], text.replace('\n ', ' '))
			self.assertIn(f'+EXPORT_SYMBOL_IF_KUNIT({e.symbol});\n', text)
			self.assertIn('\n\nSigned-off-by: T <t@t>\n', text)
		self.applied(files)
		self.assertEqual(self.read('mm/folio.c').count(
			'}\nEXPORT_SYMBOL_IF_KUNIT(lru_add_drain_all);\n'), 2)
		self.assertIn('#include <linux/swap.h>\n#include <kunit/visibility.h>\n',
			      self.read('mm/folio.c'))
		self.assertIn('\t\treturn 0;\n\treturn -EINVAL;\n}\nEXPORT_SYMBOL_IF_KUNIT(do_mprotect_pkey);\n',
			      self.read('mm/mprotect.c'))
		self.assertIn('VISIBLE_IF_KUNIT int do_mprotect_pkey(unsigned long start, size_t len,\n'
			      '\t\t\t\t      unsigned long prot, int pkey)\n{\n', self.read('mm/mprotect.c'))
		self.assertIn('#if IS_ENABLED(CONFIG_KUNIT)\n/* mm/mprotect.c, for KUnit tests */\n'
			      'int do_mprotect_pkey(unsigned long start, size_t len, unsigned long prot,\n'
			      '\t\t     int pkey);\n#endif\n\n#endif\t/* __MM_INTERNAL_H */\n',
			      self.read('mm/internal.h'))
		self.assertEqual(self.read('kernel/fork.c').count('#include <kunit/visibility.h>'), 1)
		# A variable: exported after its line, inside its #ifdef.
		self.assertIn('#ifdef CONFIG_NUMA_BALANCING\nint sysctl_numa_balancing_mode;\n'
			      'EXPORT_SYMBOL_IF_KUNIT(sysctl_numa_balancing_mode);\n\n',
			      self.read('kernel/sched/core.c'))
		self.assertIn('#include <linux/sched/sysctl.h>\n#include <kunit/visibility.h>\n',
			      self.read('kernel/sched/core.c'))
		self.assertIn('\treturn 0;\n}\nEXPORT_SYMBOL_IF_KUNIT(change_prot_numa);\n#endif',
			      self.read('mm/mempolicy.c'))
		self.assertTrue(upstream.exports_in(self.tree, exports))
		# The fixture and suites as a tree with the exports has them.
		tests = {f: self.read(f'mm/tests/{f}') for f in os.listdir(os.path.join(self.tree, 'mm/tests'))
			 if f.startswith('zone_device_')}
		for name, text in tests.items():
			for word in upstream.NO_EXPORTS_WORDS:
				self.assertNotIn(word, text, name)
		self.assertIn('\treturn do_mprotect_pkey(addr, len, prot, -1);\n',
			      tests['zone_device_fixture_user.c'])
		self.assertIn('\tlru_add_drain_all();\n}\n', tests['zone_device_fixture_user.c'])
		self.assertIn('\tnr = kernel_clone(&args);\n', tests['zone_device_fixture_thread.c'])
		self.assertIn('MODULE_IMPORT_NS(ZDT_KUNIT_NS);\n', tests['zone_device_fixture_case.c'])
		self.assertIn('#define ZDT_KUNIT_NS\t\t\t"EXPORTED_FOR_KUNIT_TESTING"\n',
			      tests['zone_device_compat.h'])
		self.assertIn('#define ZDT_CAN_MIGRATE_COHERENT_FOLIO\tIS_ENABLED(CONFIG_DEVICE_MIGRATION)\n',
			      tests['zone_device_caps.h'])

	def test_a_function_the_tree_exports_gets_no_patch(self):
		with open(os.path.join(self.tree, 'kernel/fork.c'), 'a') as f:
			f.write('EXPORT_SYMBOL_GPL(kernel_clone);\n')
		self.git(self.tree, 'commit', '-qam', 'exported')
		files = upstream.make_series(self.tree, os.path.join(self.d, 'out'))
		self.assertEqual(len([p for p in files if '-export-' in p or '-visible-' in p]),
				 len(upstream.kunit_exports()) - 1)
		self.assertFalse([p for p in files if 'kernel_clone' in p])
		self.applied(files)
		self.assertNotIn('EXPORT_SYMBOL_IF_KUNIT', self.read('kernel/fork.c'))
		self.assertNotIn(upstream.KUNIT_EXPORTS, self.read('mm/tests/zone_device_caps.h'))

	def test_a_tree_without_a_definition_is_refused(self):
		self.git(self.tree, 'rm', '-q', 'mm/migrate_device.c')
		self.git(self.tree, 'commit', '-qm', 'gone')
		with self.assertRaisesRegex(ToolError, r'no definition of migrate_device_coherent_folio\(\)'):
			upstream.make_series(self.tree, os.path.join(self.d, 'out'))
		self.assertNotIn('zdt-series', self.git(self.tree, 'worktree', 'list'))

	def test_checkpatch_switches_nothing_off_but_unknown_commit_id(self):
		"""A fake scripts/checkpatch.pl records its arguments: in a tree
		without the cited history only UNKNOWN_COMMIT_ID is ignored, the
		fixture patch included; with the history nothing."""
		os.makedirs(os.path.join(self.tree, 'scripts'))
		log = os.path.join(self.d, 'args')
		with open(os.path.join(self.tree, 'scripts/checkpatch.pl'), 'w') as f:
			f.write(f'open(my $f, ">>", "{log}"); print $f "@ARGV\\n"; exit 0;\n')
		patches = [os.path.join(self.d, n) for n in
			   ('0001-mm-tests-add-a-fixture-for-ZONE_DEVICE-KUnit-tests.patch',
			    '0002-mm-tests-add-KUnit-tests-for-x.patch')]
		self.assertEqual(upstream.checkpatch(self.tree, patches), [])
		with open(log) as f:
			args = [l.split() for l in f]
		self.assertEqual([a[:-1] for a in args],
				 [['--strict', '--quiet', '--ignore', 'UNKNOWN_COMMIT_ID']] * 2)


	def test_refuses_a_dirty_tree_or_one_with_the_suites(self):
		with open(os.path.join(self.tree, 'mm/Makefile'), 'a') as f:
			f.write('# edit\n')
		with self.assertRaisesRegex(ToolError, 'uncommitted changes'):
			upstream.make_series(self.tree, os.path.join(self.d, 'o'))
		self.git(self.tree, 'checkout', '-q', '--', 'mm/Makefile')
		os.makedirs(os.path.join(self.tree, 'mm/tests'), exist_ok=True)
		open(os.path.join(self.tree, 'mm/tests/zone_device_fixture.c'), 'w').close()
		with self.assertRaisesRegex(ToolError, 'zone_device_. already'):
			upstream.make_series(self.tree, os.path.join(self.d, 'o'))


class KunitExportsTest(unittest.TestCase):

	def test_every_modular_skip_is_a_function_an_export_names(self):
		"""Each case that skips as a module on a kernel without the
		exports is Needed-by: an export; each Needed-by is a case."""
		import selftest  # pylint: disable=import-outside-toplevel
		needed = {c for e in upstream.kunit_exports() for c in e.needed_by}
		self.assertLessEqual(set(selftest.MODULAR_SKIPS), needed)
		self.assertLessEqual(needed, {c for c, _, _ in matrix.rules()})

	def test_a_static_variable_is_refused_in_one_line(self):
		d = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, d)
		os.makedirs(os.path.join(d, 'kernel'))
		with open(os.path.join(d, 'kernel/x.c'), 'w') as f:
			f.write('#include <linux/x.h>\n\nstatic int zdt_mode = 1;\n')
		e = upstream.Export('zdt_mode', ['kernel/x.c'], None, [], 'm\n')
		with self.assertRaisesRegex(ToolError, r'^zdt_mode is a static variable in kernel/x.c'):
			upstream.add_export(d, e)

	def test_prototype_wraps_at_the_parenthesis(self):
		self.assertEqual(upstream.prototype('pid_t', 'kernel_clone', 'struct kernel_clone_args *args'),
				 'pid_t kernel_clone(struct kernel_clone_args *args);\n')
		self.assertEqual(upstream.prototype('VISIBLE_IF_KUNIT int', 'do_mprotect_pkey',
						    'unsigned long start, size_t len,\n\t\tunsigned long prot, '
						    'int pkey', ')'),
				 'VISIBLE_IF_KUNIT int do_mprotect_pkey(unsigned long start, size_t len,\n'
				 '\t\t\t\t      unsigned long prot, int pkey)\n')


@unittest.skipUnless(shutil.which('unifdef') and shutil.which('gcc'), 'no unifdef or gcc')
class ResolveExportsTest(unittest.TestCase):
	"""Each file resolved for a tree with the exports preprocesses to what
	the repository's does with ZDT_KUNIT_EXPORTS 1, whatever the config."""

	def cpp(self, text, defines):
		text = re.sub(r'(?m)^#\s*include\b.*$', '', text)
		p = subprocess.run(['gcc', '-E', '-P', '-nostdinc', '-x', 'c', '-',
				    *(f'-D{d}' for d in defines)], input=text, capture_output=True,
				   text=True, check=True)
		return ' '.join(p.stdout.split())

	def test_every_file_preprocesses_the_same(self):
		names = [os.path.basename(p) for p in glob.glob(os.path.join(upstream.SRC, '*.[ch]'))]
		with open(os.path.join(upstream.SRC, 'zone_device_caps.h')) as f:
			caps = f.read()
		done = 0
		for name in names:
			with open(os.path.join(upstream.SRC, name)) as f:
				text = f.read()
			if upstream.KUNIT_EXPORTS not in text:
				continue
			done += 1
			resolved = upstream.resolve_exports(text, name)
			# The caps header's macros, as the file sees them.
			ours = text.replace('#define ZDT_KUNIT_EXPORTS\t0\n', '#define ZDT_KUNIT_EXPORTS\t1\n')
			if name != 'zone_device_caps.h':
				theirs_caps = upstream.resolve_exports(caps, 'caps')
				ours = caps.replace('#define ZDT_KUNIT_EXPORTS\t0\n',
						    '#define ZDT_KUNIT_EXPORTS\t1\n') + ours
				resolved = theirs_caps + resolved
			for builtin, migration in itertools.product((0, 1), repeat=2):
				defs = [f'IS_BUILTIN(x)={builtin}', f'IS_ENABLED(x)={migration}']
				with self.subTest(name=name, defines=defs):
					self.assertEqual(self.cpp(resolved, defs), self.cpp(ours, defs))
		self.assertGreaterEqual(done, 3)	# caps, the fixture's thread and user rooms


@unittest.skipUnless(shutil.which('unifdef') and shutil.which('gcc'), 'no unifdef or gcc')
class ResolveCompatTest(unittest.TestCase):
	"""The resolved header preprocesses to what the repository's does on
	that kernel, whatever the config."""

	KERNELS = ((6, 12), (6, 15), (6, 19), (7, 2), (7, 3))
	CONFIGS = ('CONFIG_ZONE_DEVICE', 'CONFIG_DEVICE_MIGRATION', 'CONFIG_DEVICE_PRIVATE',
		   'CONFIG_PER_VMA_LOCK', 'kunit_warning_suppress', 'BUILTIN')

	@classmethod
	def setUpClass(cls):
		cls.d = tempfile.mkdtemp()
		for h in ('linux/dma-mapping.h', 'linux/hmm.h', 'linux/hmm-dma.h',
			  'linux/memremap.h', 'linux/migrate.h', 'linux/mm.h', 'linux/pci-p2pdma.h',
			  'linux/rmap.h', 'linux/slab.h', 'linux/swap.h', 'linux/swapops.h',
			  'linux/leafops.h', 'linux/pfn_t.h', 'kunit/test.h', 'linux/version.h'):
			os.makedirs(os.path.join(cls.d, os.path.dirname(h)), exist_ok=True)
			with open(os.path.join(cls.d, h), 'w') as f:
				f.write('#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))\n'
					if h == 'linux/version.h' else '')
		with open(os.path.join(upstream.SRC, upstream.COMPAT)) as f:
			cls.original = f.read()

	@classmethod
	def tearDownClass(cls):
		shutil.rmtree(cls.d)

	def cpp(self, text, defines):
		"""The header preprocessed, whitespace folded, each version test
		left in C code (x >= KERNEL_VERSION(a, b, 0), then ?:) evaluated."""
		p = subprocess.run(['gcc', '-E', '-P', '-nostdinc', '-I', self.d, '-x', 'c', '-',
				    *(f'-D{d}' for d in defines)], input=text, capture_output=True,
				   text=True, check=True)
		out = ' '.join(p.stdout.split())
		out = re.sub(r'\((\d+) >= \(\(\((\d+)\) << 16\) \+ \(\((\d+)\) << 8\) \+ \(0\)\)\)',
			     lambda m: str(int(int(m.group(1)) >= (int(m.group(2)) << 16) +
					       (int(m.group(3)) << 8))), out)
		return re.sub(r'\b([01]) \? (\w+) : (\w+)', lambda m: m.group(3 - int(m.group(1))), out)

	def test_every_kernel_and_config_preprocesses_the_same(self):
		for major, minor in self.KERNELS:
			resolved = upstream.resolve_compat(self.original, (major, minor))
			self.assertNotIn('LINUX_VERSION_CODE', resolved)
			self.assertNotRegex(resolved, r'#\s*(if|elif)\s+[01]\b')
			self.assertNotRegex(resolved, r'(?m)^\}\n[^\n#]')	# checkpatch's blank line
			version = f'LINUX_VERSION_CODE={(major << 16) + (minor << 8)}'
			for on in itertools.product((0, 1), repeat=len(self.CONFIGS)):
				defs = [c for c, o in zip(self.CONFIGS, on) if o and c != 'BUILTIN']
				defs.append(f'IS_BUILTIN(x)={on[-1]}')
				with self.subTest(kernel=f'{major}.{minor}', defines=defs):
					self.assertEqual(self.cpp(resolved, defs),
							 self.cpp(self.original, defs + [version]))

	def test_conditions_fold_with_unknowns_kept(self):
		fold = lambda t, c={}: upstream.show(upstream.fold(upstream.parse_condition(t, c)))  # noqa: E731
		self.assertEqual(fold('defined(A) && (1 || IS_BUILTIN(B))'), 'defined(A)')
		self.assertEqual(fold('defined(A) && (0 || IS_BUILTIN(B))'),
				 'defined(A) && IS_BUILTIN(B)')
		self.assertEqual(fold('(A || 0) && !(X)', {'X': 0}), 'A')
		self.assertEqual(fold('A || B && 0'), 'A')
		self.assertEqual(fold('(A || B) && C'), '(A || B) && C')
		self.assertEqual(fold('!(1 && X)'), '!X')
		self.assertIsNone(upstream.parse_condition('A >= 3', {}))

	def test_refuses_a_header_that_still_tests_the_version(self):
		with self.assertRaisesRegex(ToolError, 'still has LINUX_VERSION_CODE'):
			upstream.resolve_compat(self.original + '#if LINUX_VERSION_CODE > 5\n#endif\n',
						(7, 3))


if __name__ == '__main__':
	unittest.main()
