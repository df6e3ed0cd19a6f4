#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the edited variants of the recorded run real/7.3.4-x86_64.ktap that
tools/test_*.py read, one change each, and README.  Run it from this
directory after replacing real/ with a newer recorded run."""

import os

REAL = open('real/7.3.4-x86_64.ktap', encoding='utf-8').read()
PMD = 'contended_pmd_fault_sleeps_instead_of_spinning'
SPIN = f'''    # {PMD}: EXPECTATION FAILED at mm/tests/zone_device_fault_kunit.c:237
    Expected faults <= 2, but
        faults == 20628 (0x5094)

20628 faults in 300 ms while the folio was locked: the fault spins
'''
RUNNING = f'''    # {PMD}: EXPECTATION FAILED at mm/tests/zone_device_fault_kunit.c:240
    Expected running to be false, but is true

faulting thread still running after 300 ms: it does not sleep on the lock
'''
LEAK = f'''    # {PMD}: EXPECTATION FAILED at mm/tests/zone_device_fixture.c:412
    device leaked: 1 page still referenced after teardown (refcount 2)
'''
SPLAT = f'''    # {PMD}: EXPECTATION FAILED at mm/tests/zone_device_fixture.c:530
    kernel splat during the case: WARNING: CPU: 1 PID: 97 at mm/huge_memory.c:2204 do_huge_pmd_device_private+0x1a4/0x1c0
'''
GUP = '''        ok 1 pin_user_pages_unlocked
        ok 2 pin_user_pages_fast
    # pin_keeps_coherent_page_in_place: pass:2 fail:0 skip:0 total:2
    ok 7 pin_keeps_coherent_page_in_place
'''
SKIP = ' # SKIP no device-coherent memory (zone_device_fixture.coherent=)'


def edit(text: str, old: str, new: str) -> str:
	assert text.count(old) == 1, old
	return text.replace(old, new)


KNOWN = edit(REAL, SPIN + RUNNING, SPIN)
FIXED = edit(edit(REAL, f'''    # {PMD}: 20628 faults in 300 ms with the folio locked, faulting thread running
''' + SPIN + RUNNING, f'''    # {PMD}: 0 faults in 300 ms with the folio locked, faulting thread asleep
'''), f'''    not ok 3 {PMD}
# zone_device_fault_pmd: pass:2 fail:1 skip:0 total:3
# Totals: pass:2 fail:1 skip:0 total:3
not ok 4 zone_device_fault_pmd''', f'''    ok 3 {PMD}
# zone_device_fault_pmd: pass:3 fail:0 skip:0 total:3
# Totals: pass:3 fail:0 skip:0 total:3
ok 4 zone_device_fault_pmd''')
CUT = KNOWN.index('    # contended_fault_sleeps_instead_of_spinning: took 316 ms')
VARIANTS = {
	'known': (KNOWN, "the PMD contended case fails with the one expectation 'the fault "
		  "spins' (the C side's form): KNOWN on 7.3"),
	'known-and-leak': (edit(KNOWN, SPIN, SPIN + LEAK),
			   'known/ plus a "device leaked" teardown failure in the same case: FAIL'),
	'known-and-splat': (edit(KNOWN, SPIN, SPLAT + SPIN),
			    'known/ plus a "kernel splat during the case" failure before it: FAIL'),
	'known-and-fault': (edit(KNOWN, SPIN, SPIN + f'''    # {PMD}: try faulted: last line seen mm/tests/zone_device_fault_kunit.c:241
'''), 'known/ plus KUnit\'s "try faulted" (the case oopsed after the spin): FAIL'),
	'fixed': (FIXED, 'the PMD contended case passes (patches/fixes applied)'),
	'crash': (KNOWN[:CUT] + '''BUG: kernel NULL pointer dereference, address: 0000000000000008
#PF: supervisor read access in kernel mode
Oops: Oops: 0000 [#1] SMP NOPTI
Kernel panic - not syncing: Fatal exception
''', "the kernel dies (oops=panic) in zone_device_fault's contended case: CRASH; "
		  'the cases after it never report'),
	'skip-first': (edit(KNOWN, GUP, GUP.replace('unlocked\n', f'unlocked{SKIP}\n', 1).replace(
		'pass:2 fail:0 skip:0', 'pass:1 fail:0 skip:1')),
		'pin_keeps_coherent_page_in_place: its first parameter SKIPs, the second passes'),
	'skip-last': (edit(KNOWN, GUP, GUP.replace('fast\n', f'fast{SKIP}\n', 1).replace(
		'pass:2 fail:0 skip:0', 'pass:1 fail:0 skip:1')),
		'the same case, its second parameter SKIPs'),
	'fail-param': (edit(edit(KNOWN, GUP, f'''        ok 1 pin_user_pages_unlocked{SKIP}
    # pin_keeps_coherent_page_in_place: EXPECTATION FAILED at mm/tests/zone_device_gup_kunit.c:301
    Expected is_zone_device_page(page) to be true, but is false
        not ok 2 pin_user_pages_fast
    # pin_keeps_coherent_page_in_place: pass:0 fail:1 skip:1 total:2
    not ok 7 pin_keeps_coherent_page_in_place
'''), 'ok 2 zone_device_gup', 'not ok 2 zone_device_gup'),
		'pin_keeps_coherent_page_in_place: its first parameter SKIPs, the second FAILs'),
}

if __name__ == '__main__':
	readme = ['Recorded runs for the tools\' unit tests (tools/test_*.py), kept as',
		  "kunit.py keeps its own in tools/testing/kunit/test_data/.", '',
		  'real/: a real 7.3.4 x86_64 run (make run), its console log and the KTAP',
		  'run.py extracted from it, before the C side reported the contended-fault',
		  'symptom as one expectation: the PMD contended case fails twice, the spin',
		  '(line 237) and the thread still running (240).', '',
		  'console/: a later real 7.3.4 x86_64 run, its console log and KTAP, with the',
		  'C side reporting the spin as one expectation (... the fault spins): the',
		  'PMD case is KNOWN; tools/test_run.py also checks that run.py extracts',
		  'that KTAP from that log.', '',
		  'variants.py writes the others from it, one edit each:', '']
	for d, (text, note) in VARIANTS.items():
		os.makedirs(d, exist_ok=True)
		with open(os.path.join(d, '7.3.4-x86_64.ktap'), 'w', encoding='utf-8') as f:
			f.write(text)
		readme.append(f'- {d}/: {note}')
	readme += [
		'',
		'6.12/: a real 6.12.117 x86_64 run (Debian 6.12), its console log and the',
		"KTAP run.py extracts from it, read with the 6.12 tree's own kunit_parser",
		'(tools/test_results.py, test_run.py and test_matrix.py; they skip without',
		'a 6.12 tree in the cache): 46 cases, 38 pass, 1 KNOWN',
		'(zone_device_fault.contended_fault_sleeps_instead_of_spinning, the fault',
		"spins: configs/known-failures' 6.12 entry), 7 skip (parameters folded);",
		'zone_device_migrate.eviction_moves_every_device_page_to_ram passes with',
		'its migrate_device_pfns parameter skipped (6.15+).',
	]
	with open('README', 'w', encoding='utf-8') as f:
		f.write('\n'.join(readme) + '\n')
