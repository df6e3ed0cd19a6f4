#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""kernel_ci: run the kernel CI templates' steps here, on a git kernel tree.

templates/kernel-ci/github-workflow.yml and gitlab-ci.yml are what a kernel
fork copies or includes to gate its pull or merge requests.  This tool runs
the shell steps of one of them, in order, the way the CI would: the kernel
checkout is --kdir (its HEAD is the request's head), the target branch is
--base, the arch --arch, and this project is the project checkout (GitHub:
a link to this repository; GitLab: a clone of its committed HEAD, as the
template clones ZDT_REPO_URL).  The CI's own expressions and variables get
those values.  Left out: apt-get lines (.ci/gate installs the dependencies
itself) and git config --global.  A step that fails stops the job, as on
the CI, except the ones marked to run always (GitHub's if: always()); the
exit status is the first failing step's.

--make-tree DIR makes such a kernel tree from Debian's linux-source package
of --kver: unpacked, committed as branch master (without Debian's
top-level "ignore everything" .gitignore lines), with a remote origin that
is the tree itself (so the templates' "git fetch origin <base>" works), and
a branch topic with --am patches committed by git am, checked out."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
from common import DEFAULT_KVER, REPO, ToolError, main_wrapper  # noqa: E402
from fetch import fetch  # noqa: E402

TEMPLATES = {'github': os.path.join(REPO, 'templates/kernel-ci/github-workflow.yml'),
	     'gitlab': os.path.join(REPO, 'templates/kernel-ci/gitlab-ci.yml')}
SKIP = re.compile(r'^\s*(apt-get|git config --global)\b')


def load_yaml(path: str) -> dict:
	try:
		import yaml  # pylint: disable=import-outside-toplevel
	except ImportError as e:
		raise ToolError('python3-yaml is missing: run "make deps"') from e
	with open(path, encoding='utf-8') as f:
		return yaml.safe_load(f)


def github_steps(doc: dict, values: Dict[str, str]) -> List[Tuple[str, bool]]:
	"""(command, runs always) of the gate job's run: steps, ${{ ... }}
	replaced by values."""
	out = []
	for step in doc['jobs']['gate']['steps']:
		if 'run' not in step:
			continue	# uses: actions (checkout, cache, upload): done by this tool
		cmd = re.sub(r'\$\{\{\s*([^}]+?)\s*\}\}', lambda m: values[m.group(1)], step['run'])
		out.append((cmd, step.get('if') == 'always()'))
	return out


def gitlab_steps(doc: dict) -> List[Tuple[str, bool]]:
	job = doc['zone-device-kunit']
	return [(c, False) for c in job.get('before_script', []) + job['script']]


def make_tree(dst: str, kver: str, patches: List[str]) -> str:
	"""A git kernel tree at dst from Debian's source of kver (see the module
	docstring); its path."""
	if os.path.exists(dst):
		raise ToolError(f'{dst} exists: give a new directory')
	src = fetch(kver)
	git = ['git', '-c', 'user.name=zone-device-kunit', '-c', 'user.email=zdt@localhost',
	       '-C', dst]
	# Debian's tree, not the cached one (which may have the suites in it).
	subprocess.run(['cp', '-a', src, dst], check=True)
	subprocess.run([sys.executable, os.path.join(REPO, 'tools/install.py'), 'uninstall', dst],
		       check=False, capture_output=True)
	gi = os.path.join(dst, '.gitignore')
	with open(gi, encoding='utf-8') as f:
		text = f.read()
	text = re.sub(r'\n#\n# Debian packaging:.*', '\n', text, flags=re.S)
	with open(gi, 'w', encoding='utf-8') as f:
		f.write(text)
	for cmd in (['init', '-q', '-b', 'master'], ['add', '-A'],
		    ['commit', '-qm', f'Linux {os.path.basename(os.path.realpath(src))}'],
		    ['remote', 'add', 'origin', dst], ['fetch', '-q', 'origin'],
		    ['checkout', '-qb', 'topic']):
		subprocess.run(git + cmd, check=True)
	for p in patches:
		r = subprocess.run(git + ['am', '-q', os.path.abspath(p)], capture_output=True, text=True)
		if r.returncode:
			raise ToolError(f'{p} does not apply with git am: {r.stderr.strip()}')
	return dst


def run_template(which: str, kdir: str, base: str, arch: str, workspace: str,
		 cleanup: List[str]) -> int:
	"""The template's steps; the exit status of the first that failed."""
	doc = load_yaml(TEMPLATES[which])
	env = dict(os.environ)
	for k in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'ARCH'):
		env.pop(k, None)
	if which == 'github':
		os.symlink(kdir, os.path.join(workspace, 'linux'))
		os.symlink(REPO, os.path.join(workspace, 'zone-device-kunit'))
		env.update(GITHUB_WORKSPACE=workspace,
			   GITHUB_STEP_SUMMARY=os.path.join(workspace, 'step-summary.md'))
		steps = github_steps(doc, {'github.base_ref': base, 'matrix.arch': arch})
		cwd = workspace
	else:
		# The project dir is the kernel tree itself; the template clones
		# this project next to it, so that place must be free.
		clone = os.path.join(os.path.dirname(kdir), 'zone-device-kunit')
		if os.path.exists(clone):
			raise ToolError(f'{clone} exists: the GitLab template clones the project there')
		env.update(CI_PROJECT_DIR=kdir, CI_MERGE_REQUEST_TARGET_BRANCH_NAME=base,
			   ZDT_ARCH=arch, ZDT_REPO_URL=f'file://{REPO}')
		for k, v in doc['zone-device-kunit'].get('variables', {}).items():
			env.setdefault(k, str(v).replace('$CI_PROJECT_DIR', kdir))
		steps = gitlab_steps(doc)
		cwd = kdir
		cleanup.append(clone)
	status = 0
	for cmd, always in steps:
		if SKIP.match(cmd):
			print(f'kernel_ci: skipped: {cmd}', flush=True)
			continue
		if status and not always:
			continue
		print(f'kernel_ci: $ {cmd}', flush=True)
		rc = subprocess.run(['bash', '-e', '-c', cmd], cwd=cwd, env=env, check=False).returncode
		if rc and not status:
			status = rc
			print(f'kernel_ci: step exited {rc}', flush=True)
	return status


def main() -> int:
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument('--template', choices=sorted(TEMPLATES), default='github')
	ap.add_argument('--kdir', help='a git kernel tree, checked out at the head to gate')
	ap.add_argument('--base', default='master', help='the target branch (default master)')
	cli.add_options(ap, arch={'default': 'x86_64', 'help': 'x86_64 (default), arm64 or um'})
	ap.add_argument('--workspace', metavar='DIR',
			help="the CI's workspace (GitHub: results/gate/ and step-summary.md end up "
			'there), kept; default a temporary one, removed')
	ap.add_argument('--make-tree', metavar='DIR',
			help='make a git kernel tree from Debian source at DIR and stop')
	ap.add_argument('--kver', default=DEFAULT_KVER, help='with --make-tree')
	ap.add_argument('--am', action='append', default=[], metavar='PATCH',
			help='with --make-tree: commit these on branch topic')
	args = ap.parse_args()
	if args.make_tree:
		print(make_tree(os.path.abspath(args.make_tree), args.kver, args.am))
		return 0
	if not args.kdir or not os.path.exists(os.path.join(args.kdir, '.git')):
		raise ToolError('--kdir must be a git kernel tree (make one with --make-tree DIR)')
	if args.workspace:
		workspace = os.path.abspath(args.workspace)
		if os.path.exists(workspace):
			raise ToolError(f'{workspace} exists: give a new directory')
		os.makedirs(workspace)
		cleanup: List[str] = []
	else:
		workspace = tempfile.mkdtemp(prefix='zdt-kernel-ci-')
		cleanup = [workspace]
	try:
		return run_template(args.template, os.path.abspath(args.kdir), args.base, args.arch,
				    workspace, cleanup)
	finally:
		for d in cleanup:
			shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
	main_wrapper('kernel_ci', main)
