# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/coverage.py: the denominator's rules on small C
sources, the counters' way back from the guest (decode(), and the init
itself built for the host where a kernel tree's nolibc is at hand), the
tracefile filter and the report's blocks and reasons."""

import base64
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest
import zlib
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import coverage  # noqa: E402
import testutil  # noqa: E402  (a cache of its own: nothing written to the shared one)
from common import REPO  # noqa: E402


def picked(text: str, whole: bool = False):
	"""{line: (function, reason)} of a C text."""
	return {n: (p.function, p.reason) for n, p in coverage.select_text(text, whole).items()}


def lines_of(text: str, whole: bool = False):
	return sorted(picked(text, whole))


class BlankTest(unittest.TestCase):

	def test_comments_strings_and_directives_are_blanked_lines_kept(self):
		text = ('int a; /* if (is_zone_device_page(p)) */\n'
			'#define X(p) \\\n\tis_zone_device_page(p)\n'
			'char *s = "is_device_private_page(";  // is_zone_device_page(\n'
			"char c = '\"';\n")
		code, directives = coverage.blank(text)
		self.assertEqual(code.count('\n'), text.count('\n'))
		self.assertNotIn('is_', code)
		self.assertEqual(directives, [(2, '#define X(p) is_zone_device_page(p)')])
		self.assertIn("char c =", code)

	def test_functions_are_found_across_ifdef_branches(self):
		src = coverage.Source('#ifdef CONFIG_A\nstatic int f(void)\n{\n\tif (x) {\n#else\n'
				      'static int f(void)\n{\n\tif (y) {\n#endif\n\t\treturn 1;\n'
				      '\t}\n\treturn 0;\n}\n\nint __releases(l) g(int a) __acquires(l)\n'
				      '{\n\treturn a;\n}\nstruct s x = {\n\t.a = 1,\n};\n')
		self.assertEqual([name for name, _, _ in src.functions], ['f', 'g'])


class SelectTest(unittest.TestCase):

	def test_a_whole_file_is_every_line_of_its_functions(self):
		text = 'static int x;\n\nint f(void)\n{\n\t/* c */\n\treturn x;\n}\n'
		self.assertEqual(picked(text, whole=True),
				 {3: ('f', 'whole file'), 4: ('f', 'whole file'),
				  6: ('f', 'whole file'), 7: ('f', 'whole file')})

	def test_a_device_only_function_by_its_name(self):
		text = ('vm_fault_t do_huge_pmd_device_private(struct vm_fault *vmf)\n{\n\treturn 0;\n}\n'
			'int thermal_zone_device_enable(void)\n{\n\treturn 0;\n}\n'
			'static void memmap_init_compound(void)\n{\n\tfoo();\n}\n')
		self.assertEqual(lines_of(text), [1, 2, 3, 4, 9, 10, 11, 12])

	def test_the_then_branch_of_a_device_test(self):
		text = ('void f(struct folio *folio)\n{\n'		# 1-2
			'\tif (unlikely(folio_is_zone_device(folio))) {\n'	# 3
			'\t\tfree_zone_device_folio(folio);\n'		# 4
			'\t\treturn;\n\t}\n'				# 5-6
			'\tother(folio);\n}\n')				# 7-8
		self.assertEqual(lines_of(text), [3, 4, 5, 6])
		self.assertEqual(picked(text)[4], ('f', 'guarded block'))
		self.assertEqual(picked(text)[3], ('f', 'device test'))

	def test_else_if_chain_takes_its_own_branch_only(self):
		text = ('void f(void)\n{\n'
			'\tif (softleaf_is_migration(e)) {\n\t\ta();\n'		# 3-4
			'\t} else if (softleaf_is_device_private(e)) {\n'	# 5
			'\t\tb();\n'						# 6
			'\t} else {\n\t\tc();\n\t}\n}\n')			# 7-9
		self.assertEqual(lines_of(text), [5, 6])

	def test_a_mixed_disjunction_guards_nothing_but_is_a_test(self):
		text = ('void f(void)\n{\n\tif (!folio || folio_is_zone_device(folio))\n'
			'\t\tcontinue;\n\tg();\n}\n')
		self.assertEqual(lines_of(text), [3])

	def test_a_negated_test_guards_its_else_branch(self):
		text = ('void f(void)\n{\n\tif (likely(!folio_is_zone_device(dst)))\n\t\ta();\n'
			'\telse\n\t\tb();\n\tc();\n}\n')
		self.assertEqual(lines_of(text), [3, 5, 6])

	def test_a_negated_early_exit_guards_the_rest_of_its_block(self):
		text = ('bool f(void)\n{\n\tif (x) {\n\t\ty();\n\t} else {\n'		# 1-5
			'\t\tif (!softleaf_is_device_private(entry) &&\n'		# 6
			'\t\t    !softleaf_is_device_exclusive(entry))\n'		# 7
			'\t\t\treturn false;\n'						# 8
			'\t\tpfn = softleaf_to_pfn(entry);\n'				# 9
			'\t}\n\treturn pfn > 3;\n}\n')					# 10-12
		self.assertEqual(lines_of(text), [6, 7, 9])
		text = ('int g(void)\n{\n\tif (!vmemmap_can_optimize(altmap, pgmap))\n'
			'\t\treturn DIV_ROUND_UP(n, PAGE_SIZE);\n\treturn 1;\n}\n')
		self.assertEqual(lines_of(text), [3, 5])

	def test_a_switch_on_the_pgmap_type_is_its_whole_body(self):
		text = ('void f(struct dev_pagemap *pgmap)\n{\n\tswitch (pgmap->type) {\n'
			'\tcase MEMORY_DEVICE_PRIVATE:\n\t\tbreak;\n\tdefault:\n\t\tg();\n\t}\n'
			'\th();\n}\n')
		self.assertEqual(lines_of(text), [3, 4, 5, 6, 7, 8])

	def test_comparisons_with_device_constants(self):
		text = ('void f(void)\n{\n\tif (zone == ZONE_DEVICE) {\n\t\ta();\n\t}\n'
			'\tif (WARN_ON_ONCE(!pgmap || zone_idx != ZONE_DEVICE))\n\t\treturn;\n'
			'\tb();\n}\n')
		self.assertEqual(lines_of(text), [3, 4, 5, 6, 8])

	def test_a_statement_that_makes_a_test_and_a_local_alias(self):
		text = ('void f(struct folio *folio)\n{\n'
			'\tconst bool is_device_private = folio_is_device_private(folio);\n'	# 3
			'\tbool pinned = likely(!folio_is_device_private(folio)) &&\n'		# 4
			'\t\tunlikely(needs(folio));\n'					# 5
			'\tif (is_device_private)\n\t\ta();\n'				# 6-7
			'\tif (pinned)\n\t\tb();\n'					# 8-9
			'\tVM_WARN_ON(is_zone_device_page(p));\n}\n')			# 10
		self.assertEqual(lines_of(text), [3, 4, 5, 6, 7, 10])

	def test_a_variable_also_assigned_otherwise_is_no_alias(self):
		text = ('void f(void)\n{\n\tif (x)\n\t\twritable = pte_write(pte);\n\telse\n'
			'\t\twritable = softleaf_is_device_private_write(entry);\n'	# 6
			'\tif (writable)\n\t\ta();\n}\n')
		self.assertEqual(lines_of(text), [6])

	def test_a_device_only_ifdef_inside_a_function(self):
		text = ('void f(void)\n{\n\ta();\n#ifdef CONFIG_ZONE_DEVICE\n\tb();\n#endif\n'
			'#ifndef CONFIG_ZONE_DEVICE\n\tc();\n#else\n\td();\n#endif\n'
			'#if defined(CONFIG_ZONE_DEVICE) || defined(CONFIG_X)\n\te();\n#endif\n}\n'
			'#ifdef CONFIG_ZONE_DEVICE\nstatic const char *n = "Device";\n#endif\n')
		self.assertEqual(lines_of(text), [5, 10])

	def test_a_loop_macro_body_is_one_statement(self):
		text = ('void f(void)\n{\n\tif (is_device_private_page(page))\n'
			'\t\tlist_for_each_entry(p, h, l) {\n\t\t\tg(p);\n\t\t}\n\th();\n}\n')
		self.assertEqual(lines_of(text), [3, 4, 5, 6])

	def test_files_that_mention_nothing_are_not_scanned(self):
		with mock.patch.object(coverage, 'Source') as source:
			self.assertEqual(coverage.select_text('int f(void)\n{\n\treturn 0;\n}\n'), {})
		source.assert_not_called()

	def test_objects_and_listing(self):
		sel = {'mm/memory.c': coverage.select_text(
			'void f(void)\n{\n\tif (is_zone_device_page(p))\n\t\tg();\n}\n'),
		       'include/linux/mm.h': coverage.select_text(
			'static inline int page_pgmap_x(void)\n{\n\treturn 0;\n}\n')}
		self.assertEqual(coverage.objects(sel), ['mm/memory.o'])
		self.assertEqual(coverage.format_selection(sel).splitlines(), [
			'mm/memory.c: 2 source lines',
			'  f: 3 (device test, test at 3); 4 (guarded block, test at 3)',
			'include/linux/mm.h: 4 source lines',
			'  page_pgmap_x: 1-4 (device-only function)'])

	def test_ranges(self):
		self.assertEqual(coverage.ranges([7, 1, 2, 3, 9, 10]), '1-3, 7, 9-10')
		self.assertEqual(coverage.ranges([]), '')


def gcov_stream(files, build_dir, damage=None):
	"""What tools/zdt_gcov_init.c prints for these {path: bytes}."""
	out = ['[    1.0] Run /init as init process', 'zdt-gcov: start']
	for name, data in files.items():
		rel = (build_dir + '/' + name).lstrip('/')
		out.append(f'zdt-gcov: begin {rel} {len(data)} {zlib.crc32(data):x}')
		text = base64.b64encode(data).decode()
		chunks = [text[i:i + 76] for i in range(0, len(text), 76)]
		if damage and name == damage:
			chunks[0] = 'A' + chunks[0][1:]
		out += [c + '\r' for c in chunks]
		out.append(f'zdt-gcov: end {rel}')
	out.append(f'zdt-gcov: done {len(files)} {sum(len(d) for d in files.values())}')
	return [l + '\n' for l in out]


class DecodeTest(unittest.TestCase):

	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.build = os.path.join(self.tmp, 'build', '7.3.4-x86_64-coverage')
		os.makedirs(os.path.join(self.build, 'mm'))

	def tearDown(self):
		shutil.rmtree(self.tmp)

	def test_files_come_back_where_their_gcno_is(self):
		files = {'mm/memory.gcda': os.urandom(1000), 'mm/hmm.gcda': b'ab', 'mm/x.gcda': b''}
		written, problems = coverage.decode(gcov_stream(files, self.build), self.build)
		self.assertEqual(problems, [])
		self.assertEqual(len(written), 3)
		for name, data in files.items():
			with open(os.path.join(self.build, name), 'rb') as f:
				self.assertEqual(f.read(), data)

	def test_a_damaged_file_is_reported_not_written(self):
		files = {'mm/memory.gcda': b'\xff' * 300}
		written, problems = coverage.decode(gcov_stream(files, self.build, 'mm/memory.gcda'),
						    self.build)
		self.assertEqual(written, [])
		self.assertRegex(problems[0], r'memory.gcda: 300 bytes, CRC-32 \w+; the guest sent 300')

	def test_the_reboot_message_on_the_done_line_is_still_done(self):
		stream = gcov_stream({'mm/hmm.gcda': b'ab'}, self.build)
		stream[-1] = stream[-1].rstrip('\n') + 'reboot: Restarting system\n'
		written, problems = coverage.decode(stream, self.build)
		self.assertEqual((len(written), problems), (1, []))
		stream[-1] = 'zdt-gcov: done 1 2x\n'
		self.assertEqual(coverage.decode(stream, self.build)[1], [])
		stream[-1] = 'zdt-gcov: done 1\n'
		self.assertRegex(coverage.decode(stream, self.build)[1][0], 'never said')

	def test_a_cut_stream_says_so(self):
		stream = gcov_stream({'mm/memory.gcda': b'x' * 500}, self.build)[:4]
		_, problems = coverage.decode(stream, self.build)
		self.assertRegex(problems[0], 'no end marker')
		self.assertRegex(problems[1], 'never said "zdt-gcov: done"')

	def test_a_build_dir_seen_elsewhere_by_the_guest(self):
		self.assertEqual(coverage.host_path('other/place/7.3.4-x86_64-coverage/mm/a.gcda',
						    self.build), os.path.join(self.build, 'mm/a.gcda'))
		self.assertIsNone(coverage.host_path('elsewhere/mm/a.gcda', self.build))


def nolibc_tree():
	"""The tests' kernel tree (testutil.TREE) if it has nolibc, or None."""
	tree = testutil.TREE
	if tree and os.path.isfile(os.path.join(tree, 'tools/include/nolibc/nolibc.h')):
		return tree
	return None


@unittest.skipUnless(shutil.which('gcc') and nolibc_tree() and os.path.isdir('/usr/include/linux'),
		     'no gcc, kernel tree with nolibc or uapi headers')
class InitOnTheHostTest(unittest.TestCase):
	"""tools/zdt_gcov_init.c built for the host (-DZDT_GCOV_HOST: it
	copies a directory, mounts nothing and does not reboot)."""

	def test_what_the_init_prints_decodes_to_the_files(self):
		tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, tmp)
		root = os.path.join(tmp, 'gcov')
		build = os.path.join(root, 'b', '7.3.4-x86_64-coverage')
		os.makedirs(os.path.join(build, 'mm'))
		files = {'mm/memory.gcda': os.urandom(70001), 'mm/hmm.gcda': b'\0' * 5}
		for name, data in files.items():
			with open(os.path.join(build, name), 'wb') as f:
				f.write(data)
		os.symlink('/nonexistent', os.path.join(build, 'mm/memory.gcno'))
		init = os.path.join(tmp, 'init')
		subprocess.run(['gcc', '-DZDT_GCOV_HOST', f'-DGCOV_ROOT="{root}"', '-Os', '-static',
				'-nostdlib', '-fno-stack-protector', '-include',
				os.path.join(nolibc_tree(), 'tools/include/nolibc/nolibc.h'),
				'-o', init, coverage.INIT_SOURCE, '-lgcc'], check=True)
		out = subprocess.run([init], capture_output=True, text=True, check=True).stdout
		self.assertIn('zdt-gcov: done 2 70006\n', out)
		dest = os.path.join(tmp, 'host', '7.3.4-x86_64-coverage')
		os.makedirs(os.path.join(dest, 'mm'))
		written, problems = coverage.decode(out.splitlines(True), dest)
		self.assertEqual((len(written), problems), (2, []))
		with open(os.path.join(dest, 'mm/memory.gcda'), 'rb') as f:
			self.assertEqual(f.read(), files['mm/memory.gcda'])


class TraceTest(unittest.TestCase):

	INFO = ('TN:\nSF:/t/mm/memory.c\nFN:3,f\nFNDA:1,f\nDA:3,5\nDA:4,0\nDA:9,2\nLF:3\nLH:2\n'
		'end_of_record\nSF:/t/mm/rmap.c\nDA:1,1\nLF:1\nLH:1\nend_of_record\n'
		'SF:/t/mm/memory.c\nDA:4,1\nLF:1\nLH:1\nend_of_record\n')

	def test_read_sums_and_filter_keeps_the_denominator(self):
		tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, tmp)
		info = os.path.join(tmp, 'a.info')
		with open(info, 'w') as f:
			f.write(self.INFO)
		self.assertEqual(coverage.read_trace(info),
				 {'/t/mm/memory.c': {3: 5, 4: 1, 9: 2}, '/t/mm/rmap.c': {1: 1}})
		out = os.path.join(tmp, 'b.info')
		coverage.filter_trace(info, {'/t/mm/memory.c': ({3, 4}, {'f'})}, out)
		with open(out) as f:
			text = f.read()
		self.assertNotIn('rmap', text)
		self.assertNotIn('DA:9', text)
		self.assertIn('FN:3,f\nFNDA:1,f\nDA:3,5\nDA:4,0\nFNF:1\nFNH:1\nLF:2\nLH:1\nend_of_record',
			      text)
		coverage.filter_trace(info, {'/t/mm/memory.c': ({9}, set())}, out)
		with open(out) as f:
			self.assertIn('DA:9,2\nFNF:0\nFNH:0\nLF:1\nLH:1\n', f.read())


class ReportTest(unittest.TestCase):

	TEXT = ('void f(void)\n{\n\tif (is_zone_device_page(p)) {\n'	# 1-3
		'\t\ta();\n\t\tb();\n\t\tVM_WARN_ON_ONCE(x);\n'		# 4-6
		'\t\tc();\n\t}\n}\n'						# 7-9
		'void g(void)\n{\n\tif (is_pci_p2pdma_page(p))\n\t\th();\n}\n')	# 10-14

	def result(self, counts):
		picks = coverage.select_text(self.TEXT)
		return coverage.FileResult('mm/x.c', picks, counts, self.TEXT.splitlines())

	def test_blocks_and_reasons(self):
		r = self.result({3: 4, 4: 0, 5: 0, 6: 1, 7: 0, 12: 1, 13: 0})
		self.assertEqual((r.run, r.total), (3, 7))
		self.assertEqual(r.no_record, [8])
		self.assertEqual(r.blocks('f'), [[4, 5], [7]])
		self.assertEqual(r.reason([4, 5]), 'not yet')
		self.assertEqual(r.reason([13]), 'needs PCI P2PDMA (real hardware)')
		# A warning's line runs whenever its condition is evaluated: no reason.
		r = self.result({3: 4, 4: 1, 5: 1, 6: 0, 7: 1})
		self.assertEqual(r.reason([6]), 'not yet')
		self.assertEqual(coverage.biggest_blocks([r]), [(1, 'mm/x.c', 'f', [6], 'not yet')])

	def test_a_test_itself_gets_no_hardware_reason(self):
		text = ('static inline bool folio_is_fsdax(const struct folio *folio)\n{\n'
			'\treturn folio_is_zone_device(folio) &&\n'
			'\t\tfolio->pgmap->type == MEMORY_DEVICE_FS_DAX;\n}\n'
			'void f(void)\n{\n\tif (folio_is_fsdax(folio))\n\t\tg();\n}\n')
		r = coverage.FileResult('h.h', coverage.select_text(text), {3: 1, 4: 0, 8: 1, 9: 0},
					text.splitlines())
		# The test's own line runs for any zone-device folio that reaches it:
		# its reason names what reaches it, not the hardware the type needs.
		self.assertIn('FOLL_LONGTERM pin', r.reason([4]))
		self.assertEqual(r.reason([9]), 'needs FS DAX (a DAX filesystem on pmem)')

	def test_a_function_no_vm_can_run_gets_its_reason_by_name(self):
		text = 'static int hmm_vma_walk_pud(void)\n{\n\treturn a();\n}\n'
		picks = {3: coverage.Pick('hmm_vma_walk_pud', 'whole file')}
		r = coverage.FileResult('mm/hmm.c', picks, {3: 0}, text.splitlines())
		self.assertIn('PUD-mapped leaf', r.reason([3]))

	def test_memory_failure_past_the_dax_lock_needs_a_dax_mapping(self):
		text = ('static int mf_generic_kill_procs(void)\n{\n\tcookie = dax_lock_folio(f);\n'
			'\tif (hwpoison_filter(p))\n\t\treturn 1;\n\treturn 0;\n}\n')
		picks = {n: coverage.Pick('mf_generic_kill_procs', 'device-only function')
			 for n in (3, 4, 5, 6)}
		r = coverage.FileResult('mm/memory-failure.c', picks, {3: 1, 4: 0, 5: 0, 6: 0},
					text.splitlines())
		self.assertIn('DAX file mapping', r.reason([4, 5, 6]))
		self.assertIn('DAX file mapping', coverage.FUNCTION_REASONS['dev_pagemap_mapping_shift'])

	def test_the_fs_dax_checks_say_what_reaches_them(self):
		for func in ('do_wp_page', 'is_fsdax_page', 'folio_is_fsdax'):
			self.assertIn('DAX', coverage.FUNCTION_REASONS[func])

	def test_a_block_gets_its_reason_from_the_condition_just_above(self):
		text = ('static void migrate_vma_insert_page(void)\n{\n'
			'\tif (mem_cgroup_charge(folio, mm, GFP_KERNEL))\n\t\tgoto abort;\n'
			'\tif (y > 1)\n\t\tgoto abort;\nabort:\n\treturn;\n}\n')
		picks = {n: coverage.Pick('migrate_vma_insert_page', 'whole file') for n in (3, 4, 5, 6)}
		r = coverage.FileResult('mm/migrate_device.c', picks, {3: 1, 4: 0, 5: 1, 6: 0},
					text.splitlines())
		self.assertIn('memcg charge to fail', r.reason([4]))
		# Its own condition guards a block, not one further up.
		self.assertEqual(r.reason([6]), 'not yet')
		other = coverage.FileResult('mm/other.c', picks, {3: 1, 4: 0}, text.splitlines())
		self.assertEqual(other.reason([4]), 'not yet')
		self.assertIn('system call', coverage.FUNCTION_REASONS['mlock_pte_range'])

	def test_an_if_on_a_negated_pointer_takes_the_lines_that_set_it(self):
		text = ('void migrate_vma_insert_page(void)\n{\n\tpgdp = pgd_offset(mm, addr);\n'
			'\tp4dp = p4d_alloc(mm, pgdp, addr);\n\tif (!p4dp)\n\t\tgoto abort;\n}\n')
		picks = {6: coverage.Pick('migrate_vma_insert_page', 'whole file')}
		r = coverage.FileResult('mm/migrate_device.c', picks, {6: 0}, text.splitlines())
		self.assertIn('allocation to fail', r.reason([6]))

	def test_an_if_on_a_variable_takes_the_lines_that_set_it(self):
		text = ('int f(void)\n{\n\terror = percpu_ref_init(&pgmap->ref, release, 0,\n'
			'\t\t\t\tGFP_KERNEL);\n\tif (error)\n\t\treturn error;\n}\n')
		picks = {6: coverage.Pick('memremap_pages', 'whole file')}
		r = coverage.FileResult('mm/memremap.c', picks, {6: 0}, text.splitlines())
		self.assertIn('percpu_ref_init', r.guard(6))
		self.assertIn('fault injection', r.reason([6]))

	def test_a_race_no_case_can_order_gets_its_reason_by_what_the_lines_say(self):
		text = ('static int hmm_vma_walk_pmd(void)\n{\nagain:\n\tif (x)\n\t\tgoto again;\n'
			'\treturn 0;\n}\n')
		picks = {n: coverage.Pick('hmm_vma_walk_pmd', 'whole file') for n in (4, 5, 6)}
		r = coverage.FileResult('mm/hmm.c', picks, {4: 1, 5: 0, 6: 0}, text.splitlines())
		self.assertIn('a race no case can order', r.reason([5]))
		self.assertEqual(r.reason([6]), 'not yet')
		other = coverage.FileResult('mm/other.c', picks, {4: 1, 5: 0}, text.splitlines())
		self.assertEqual(other.reason([5]), 'not yet')

	def test_a_dma_path_no_vm_device_takes_gets_its_reason_by_what_the_lines_say(self):
		text = ('static int hmm_dma_map_pfn(void)\n{\n\tif (dma_need_unmap(dev))\n'
			'\t\treturn dma_addrs[idx];\n\tif (x)\n\t\tgoto error;\n\treturn 0;\n}\n')
		picks = {n: coverage.Pick('hmm_dma_map_pfn', 'whole file') for n in (3, 4, 5, 6, 7)}
		r = coverage.FileResult('mm/hmm.c', picks, {3: 1, 4: 0, 5: 1, 6: 0, 7: 1},
					text.splitlines())
		self.assertIn('DMA-unmapped without an IOMMU', r.reason([4]))
		self.assertIn('DMA_ATTR_REQUIRE_COHERENT', r.reason([6]))
		self.assertEqual(r.reason([7]), 'not yet')
		alloc = {3: coverage.Pick('hmm_dma_map_alloc', 'whole file')}
		text = 'int hmm_dma_map_alloc(void)\n{\n\tmap->dma_list = kvzalloc(n);\n}\n'
		r = coverage.FileResult('mm/hmm.c', alloc, {3: 0}, text.splitlines())
		self.assertIn('GART_IOMMU or XEN', r.reason([3]))

	def test_summary_and_document(self):
		r = self.result({3: 4, 4: 0, 5: 0, 6: 1, 7: 0, 12: 1, 13: 0})
		unbuilt = coverage.FileResult('mm/ksm.c', coverage.select_text(self.TEXT), None,
					      self.TEXT.splitlines())
		text = coverage.summary_text([r, unbuilt], 'HEAD', {'mm/ksm.c': 'CONFIG_KSM is off'})
		self.assertRegex(text, r'\nmm/x.c +3/7 +43% +8 +1\n')
		self.assertIn('  mm/x.c:f:7 (1 line): not yet', text)
		self.assertIn('mm/ksm.c: 8 source lines, CONFIG_KSM is off', text)
		self.assertIn('  mm/x.c:f:4-5 (2 lines): not yet', text)
		doc = coverage.doc_text([r], 'HEAD', {}, {'mm/x.c': r.picks})
		self.assertIn('| `mm/x.c` | 3 / 7 | 43% | 8 | 1 |', doc)
		self.assertIn('| `g` | 1 / 2 | 13: needs PCI P2PDMA (real hardware) |', doc)
		self.assertIn('| `f` | 2 / 5 | 4-5 (2 lines): not yet; 7: not yet |', doc)
		self.assertIn('  f: 3 (device test, test at 3); 4-8 (guarded block, test at 3)', doc)

	def test_not_built_names_the_option(self):
		tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, tmp)
		os.makedirs(os.path.join(tmp, 'mm'))
		os.makedirs(os.path.join(tmp, 'b', 'mm'))
		with open(os.path.join(tmp, 'mm/Makefile'), 'w') as f:
			f.write('obj-y += memory.o\nobj-$(CONFIG_KSM) += ksm.o\n'
				'obj-$(CONFIG_MEMORY_FAILURE) += \\\n\tmemory-failure.o\n')
		open(os.path.join(tmp, 'b', 'mm', 'memory.o'), 'w').close()
		b = os.path.join(tmp, 'b')
		self.assertIsNone(coverage.not_built(tmp, b, 'mm/memory.c'))
		self.assertEqual(coverage.not_built(tmp, b, 'mm/ksm.c'), 'CONFIG_KSM is off')
		self.assertEqual(coverage.not_built(tmp, b, 'mm/memory-failure.c'),
				 'CONFIG_MEMORY_FAILURE is off')


class KernelTest(unittest.TestCase):

	def test_profile_options_hold_in_mm_only(self):
		only = '$(if $(filter mm,$(obj)),$(if $(filter tests/%,$(target-stem)),,y))'
		self.assertEqual(coverage.profile_options(['mm/memory.o', 'mm/hmm.o'], touched_only=True),
				 [f'GCOV_PROFILE_hmm.o={only}', f'GCOV_PROFILE_memory.o={only}'])
		self.assertEqual(coverage.profile_options(['mm/memory.o']), [f'GCOV_PROFILE={only}'])

	@unittest.skipUnless(shutil.which('make'), 'no make')
	def test_the_make_variable_is_scoped_by_its_value(self):
		tmp = tempfile.mkdtemp()
		self.addCleanup(shutil.rmtree, tmp)
		with open(os.path.join(tmp, 'Makefile'), 'w') as f:
			f.write('all:\n' + ''.join(f'\t@$(MAKE) -s -f sub.mk obj={d} T={d}/{o}\n' for d, o in (
				('mm', 'memory.o'), ('mm', 'tests/zone_device_gup_kunit.o'),
				('drivers/base', 'memory.o'), ('mm/damon', 'core.o'))))
		with open(os.path.join(tmp, 'sub.mk'), 'w') as f:
			# As scripts/Makefile.lib: target-stem, and the two variables read.
			f.write('target-stem = $(basename $(patsubst $(obj)/%,%,$(T)))\n'
				'all:\n\t@echo "$(T)=[$(GCOV_PROFILE_$(target-stem).o)$(GCOV_PROFILE)]"\n')
		env = {k: v for k, v in os.environ.items() if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}
		for touched_only, want in ((True, ['y', '', '', '']), (False, ['y', '', '', ''])):
			out = subprocess.run(['make', '-s', '--no-print-directory', '-C', tmp,
					      *coverage.profile_options(['mm/memory.o', 'mm/core.o'],
									touched_only)],
					     capture_output=True, text=True, check=True, env=env).stdout
			self.assertEqual([l.split('=')[1].strip('[]') for l in out.split()], want)

	def test_kunit_args_are_run_pys_with_the_coverage_kernels_own(self):
		with mock.patch.object(coverage, 'kernel_version', return_value='7.3.4'), \
		     mock.patch('run.kernel_version', return_value='7.3.4'):
			args = coverage.kunit_args('/t', ['mm/memory.o'], 600)
			run_dir = coverage.zrun.build_dir_of('/t', 'x86_64')
		# run.py's build dir of the tree, with a suffix: never run.py's own.
		self.assertEqual(args[args.index('--build_dir') + 1], run_dir + '-coverage')
		self.assertRegex(run_dir, r'/build/7\.3\.4-x86_64-\w+$')
		self.assertEqual(args[args.index('--qemu_config') + 1], coverage.QEMU_CONFIG)
		adds = [args[i + 1] for i, a in enumerate(args) if a == '--kconfig_add']
		self.assertEqual(adds, list(coverage.KCONFIG_ADD))
		self.assertIn(coverage.profile_options([])[0], args)
		self.assertIn('--kunitconfig', args)

	def test_the_qemu_config_is_x86_64s_with_kunit_shutdown_none(self):
		stub = types.ModuleType('qemu_config')
		stub.QemuArchParams = lambda **kw: types.SimpleNamespace(**kw)
		loaded = {}
		for name in ('x86_64', 'x86_64_coverage'):
			spec = importlib.util.spec_from_file_location(
				f'.qemu_configs/{name}.py', os.path.join(REPO, 'configs', f'{name}.py'))
			loaded[name] = importlib.util.module_from_spec(spec)
			with mock.patch.dict(sys.modules, {'.qemu_config': stub}):
				spec.loader.exec_module(loaded[name])
		base, cov = loaded['x86_64'].QEMU_ARCH, loaded['x86_64_coverage'].QEMU_ARCH
		self.assertEqual(cov.kernel_command_line.split(),
				 base.kernel_command_line.split() + ['kunit_shutdown=none'])
		self.assertEqual((cov.kconfig, cov.extra_qemu_params), (base.kconfig,
									 base.extra_qemu_params))


if __name__ == '__main__':
	unittest.main()
