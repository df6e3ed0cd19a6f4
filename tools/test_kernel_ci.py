# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/kernel_ci.py and the kernel CI templates: no kernel
is built; docs/kernel-ci.md has the end-to-end run on a real git kernel tree."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernel_ci  # noqa: E402
from testutil import ScratchTreeCase, scratch_tree  # noqa: E402

try:
	import yaml  # noqa: F401  pylint: disable=unused-import
	HAVE_YAML = True
except ImportError:
	HAVE_YAML = False
needs_yaml = unittest.skipUnless(HAVE_YAML, 'python3-yaml not installed')


@needs_yaml
class TemplateTest(unittest.TestCase):

	def test_github_steps_gate_the_branch_against_its_target(self):
		"""The run: steps with GitHub's expressions filled in; the gate is
		.ci/gate --kdir --base on the matrix arch, and the summary step runs
		always."""
		doc = kernel_ci.load_yaml(kernel_ci.TEMPLATES['github'])
		self.assertEqual(doc['jobs']['gate']['strategy']['matrix']['arch'], ['x86_64', 'arm64'])
		steps = kernel_ci.github_steps(doc, {'github.base_ref': 'main', 'matrix.arch': 'arm64'})
		gate = [c for c, _ in steps if '.ci/gate' in c]
		self.assertEqual(len(gate), 1)
		self.assertIn('--kdir linux --base "origin/main"', gate[0])
		self.assertIn('--arch arm64', gate[0])
		self.assertNotIn('${{', ''.join(c for c, _ in steps))
		self.assertTrue([a for c, a in steps if 'STEP_SUMMARY' in c][0])
		self.assertTrue(kernel_ci.SKIP.match(steps[0][0]))	# apt-get

	def test_gitlab_job_gates_the_merge_request_target(self):
		doc = kernel_ci.load_yaml(kernel_ci.TEMPLATES['gitlab'])
		job = doc['zone-device-kunit']
		self.assertEqual(job['parallel']['matrix'][0]['ZDT_ARCH'], ['x86_64', 'arm64'])
		script = ' '.join(c for c, _ in kernel_ci.gitlab_steps(doc))
		self.assertIn('.ci/gate" --kdir "$CI_PROJECT_DIR"', script)
		self.assertIn('--base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"', script)


class MakeTreeTest(ScratchTreeCase):

	def test_make_tree_commits_master_and_checks_out_topic_with_the_patches(self):
		src = scratch_tree(tempfile.mkdtemp(dir=self.d))
		with open(os.path.join(src, '.gitignore'), 'w') as f:
			f.write('*.o\n\n#\n# Debian packaging: ignore everything at the top level\n#\n/*\n'
				'!/debian/\n')
		patch = os.path.join(self.d, '0001.patch')
		with open(patch, 'w') as f:
			f.write('From: A <a@b>\nSubject: [PATCH] mm: more\n\n---\n'
				'--- a/mm/Makefile\n+++ b/mm/Makefile\n@@ -1 +1 @@\n'
				'-obj-y += memory.o\n+obj-y += memory.o gup.o\n')
		fetch = kernel_ci.fetch
		kernel_ci.fetch = lambda kver: src
		try:
			dst = kernel_ci.make_tree(os.path.join(self.d, 'git'), '7.3', [patch])
		finally:
			kernel_ci.fetch = fetch

		def git(*a):
			return subprocess.run(['git', '-C', dst, *a], capture_output=True, text=True,
					      check=True).stdout.strip()
		self.assertEqual(git('symbolic-ref', '--short', 'HEAD'), 'topic')
		self.assertEqual(git('log', '--format=%s', 'master..topic'), 'mm: more')
		self.assertIn('Makefile', git('ls-files'))	# Debian's "/*" is gone
		self.assertEqual(git('rev-parse', 'origin/master'), git('rev-parse', 'master'))
		self.assertEqual(git('status', '--porcelain'), '')


if __name__ == '__main__':
	unittest.main()
