# SPDX-License-Identifier: GPL-2.0
#
# kunit.py --qemu_config of the coverage kernel (tools/coverage.py, make
# coverage): configs/x86_64.py as it is, with one difference on the kernel
# command line.  kunit.py appends kunit_shutdown=reboot to a command line
# that has no kunit_shutdown= of its own, and that reboots the kernel as soon
# as the built-in suites are done, before init.  The coverage run needs init
# (tools/zdt_gcov_init.c copies the gcov counters to the console), so here
# the word is kunit_shutdown=none: a value the kernel does not act on
# (lib/kunit/executor.c knows poweroff, halt and reboot), and the boot goes on
# to the initramfs.  The gcov options come from tools/coverage.py
# (--kconfig_add), not from here: this file is only how the kernel boots.

import importlib.util
import os

from ..qemu_config import QemuArchParams

HERE = os.path.dirname(os.path.abspath(__file__))

# configs/x86_64.py imports kunit.py's qemu_config relatively: load it under
# the module name kunit.py gives the files it loads itself.
_spec = importlib.util.spec_from_file_location('.qemu_configs/x86_64.py',
					       os.path.join(HERE, 'x86_64.py'))
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)

QEMU_ARCH = QemuArchParams(**{
	**vars(_base.QEMU_ARCH),
	'kernel_command_line': _base.QEMU_ARCH.kernel_command_line + ' kunit_shutdown=none',
	'extra_qemu_params': list(_base.QEMU_ARCH.extra_qemu_params)})
