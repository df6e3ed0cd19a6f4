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

	VALUES = {'github.base_ref': 'main', 'matrix.arch': 'arm64',
		  'github.event.pull_request.head.sha': 'c0ffee', 'github.event.pull_request.number': '7',
		  'github.run_id': '1', 'env.ZDT_REPOSITORY': 'o/zdt', 'env.ZDT_REF': 'f' * 40}

	def test_github_steps_gate_the_branch_against_its_target(self):
		"""The run: steps with GitHub's expressions filled in; the gate is
		.ci/gate --kdir --base on the matrix arch, both given through env:
		(never expanded into the shell line); the summary job runs always."""
		doc = kernel_ci.load_yaml(kernel_ci.TEMPLATES['github'])
		self.assertEqual(doc['jobs']['gate']['strategy']['matrix']['arch'], ['x86_64', 'arm64'])
		self.assertEqual(kernel_ci.github_jobs(doc), ['gate', 'summary'])
		steps = kernel_ci.github_steps(doc, self.VALUES)
		gate = [s for s in steps if s.cmd and '.ci/gate' in s.cmd]
		self.assertEqual(len(gate), 1)
		self.assertIn('--kdir linux --base "origin/$BASE_REF"', gate[0].cmd)
		self.assertIn('--arch "$ZDT_ARCH"', gate[0].cmd)
		self.assertEqual((gate[0].env['BASE_REF'], gate[0].env['ZDT_ARCH']), ('main', 'arm64'))
		self.assertTrue(kernel_ci.SKIP.match([s for s in steps if s.cmd][1].cmd))	# apt-get
		summary = kernel_ci.github_steps(doc, self.VALUES, 'summary')
		self.assertTrue([s for s in summary if s.cmd and 'STEP_SUMMARY' in s.cmd][0].always)
		self.assertEqual(doc['jobs']['summary']['if'], 'always()')

	def test_github_template_is_locked_down(self):
		"""Read-only token, no credentials left in .git/config, every action
		pinned by a full commit SHA (tag in a comment), this project at a
		pinned commit, no ${{ }} in any run:, the summary job with no
		permission and no checkout."""
		import re  # pylint: disable=import-outside-toplevel
		with open(kernel_ci.TEMPLATES['github']) as f:
			text = f.read()
		doc = kernel_ci.load_yaml(kernel_ci.TEMPLATES['github'])
		self.assertEqual(doc['permissions'], {'contents': 'read'})
		self.assertEqual(doc['jobs']['summary']['permissions'], {})
		self.assertEqual(doc['jobs']['gate']['permissions'], {'contents': 'read'})
		for job in doc['jobs'].values():
			for step in job['steps']:
				self.assertNotIn('${{', step.get('run', ''), step)
				if 'uses' in step:
					self.assertRegex(step['uses'], r'^actions/[\w-]+@[0-9a-f]{40}$')
				if step.get('uses', '').startswith('actions/checkout@'):
					self.assertIs(step['with']['persist-credentials'], False)
		for line in text.splitlines():
			if 'uses: actions/' in line:
				self.assertRegex(line, r'@[0-9a-f]{40}  # v\d+\.\d+\.\d+$')
		self.assertFalse([s for s in doc['jobs']['summary']['steps']
				  if 'checkout' in s.get('uses', '')])
		checkout = [s for s in doc['jobs']['gate']['steps']
			    if s.get('with', {}).get('repository')][0]
		self.assertEqual(checkout['with']['ref'], '${{ env.ZDT_REF }}')
		self.assertIn('head.sha', str(doc['jobs']['gate']['steps']))
		self.assertIn('pull_request.number', str(doc['jobs']['gate']['steps']))	# cache key
		self.assertTrue(re.search(r'runs as root', text))

	def test_gitlab_job_gates_the_merge_request_target(self):
		doc = kernel_ci.load_yaml(kernel_ci.TEMPLATES['gitlab'])
		job = doc['zone-device-kunit']
		self.assertEqual(job['parallel']['matrix'][0]['ZDT_ARCH'], ['x86_64', 'arm64'])
		script = ' '.join(c for c, _ in kernel_ci.gitlab_steps(doc))
		self.assertIn('.ci/gate" --kdir "$CI_PROJECT_DIR"', script)
		self.assertIn('--base "origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"', script)
		# Pinned project, a cache of the merge request's own, no token left.
		self.assertIn('checkout --quiet --detach "$ZDT_REF"', script)
		self.assertIn('$CI_MERGE_REQUEST_IID', job['cache']['key'])
		self.assertIn('unset CI_JOB_TOKEN', script)
		self.assertLess(script.index('git fetch'), script.index('unset CI_JOB_TOKEN'))
		self.assertLess(script.index('unset CI_JOB_TOKEN'), script.index('.ci/gate'))


@needs_yaml
class RunTemplateTest(ScratchTreeCase):

	def test_the_github_template_runs_here_and_leaves_the_tree_as_it_was(self):
		"""kernel_ci.py runs the GitHub template's jobs (the gate, then the
		summary from its artifact) on a git tree with a fake kunit.py: the
		baseline is the merge base, the patched run the head, both in the
		gate's private copy; the tree keeps its branch and files."""
		import test_safety  # pylint: disable=import-outside-toplevel
		with open(os.path.join(self.tree, 'Makefile'), 'w') as f:
			f.write('VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\n')
		with open(os.path.join(self.tree, 'tools/testing/kunit/kunit.py'), 'w') as f:
			f.write(test_safety.FAKE_KUNIT)
		git = test_safety.git
		git(self.tree, 'init', '-q', '-b', 'master')
		git(self.tree, 'add', '-A')
		git(self.tree, 'commit', '-qm', 'base')
		git(self.tree, 'remote', 'add', 'origin', self.tree)
		git(self.tree, 'fetch', '-q', 'origin')
		git(self.tree, 'checkout', '-qb', 'topic')
		with open(os.path.join(self.tree, 'mm/Makefile'), 'w') as f:
			f.write('obj-y += memory.o # PATCHED\n')
		git(self.tree, 'commit', '-qam', 'mm: patched')
		head = git(self.tree, 'rev-parse', 'HEAD')
		fake = os.path.join(self.d, 'bin')
		os.makedirs(fake)
		with open(os.path.join(fake, 'dpkg-query'), 'w') as f:	# deps.sh: all installed
			f.write('#!/bin/sh\necho "install ok installed"\n')
		os.chmod(os.path.join(fake, 'dpkg-query'), 0o755)
		ws = os.path.join(self.d, 'ws')
		env = dict(os.environ, PATH=fake + os.pathsep + os.environ['PATH'], ZDT_TEST_OUT=self.d,
			   ZDT_TEST_SOURCE=self.tree, ZDT_PROGRESS='off',
			   ZDT_CACHE=os.path.join(self.d, 'cache'))
		p = subprocess.run([sys.executable, os.path.join(kernel_ci.REPO, 'tools/kernel_ci.py'),
				    '--kdir', self.tree, '--base', 'master', '--arch', 'um',
				    '--workspace', ws], capture_output=True, text=True, env=env)
		self.assertEqual(p.returncode, 5, p.stdout + p.stderr)	# the fake reports one case
		with open(os.path.join(self.d, 'runs')) as f:
			runs = [l.split()[1] for l in f]
		self.assertEqual(runs, ['patched=False', 'patched=True'])
		with open(os.path.join(ws, 'step-summary.md')) as f:
			self.assertIn('# Gate: INCONCLUSIVE', f.read())
		self.assertEqual(git(self.tree, 'rev-parse', 'HEAD'), head)
		self.assertEqual(git(self.tree, 'symbolic-ref', '--short', 'HEAD'), 'topic')
		self.assertEqual(git(self.tree, 'status', '--porcelain'), '')


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
