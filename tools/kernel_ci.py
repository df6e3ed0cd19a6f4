#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""kernel_ci: run the kernel CI templates' steps here, on a git kernel tree.

templates/kernel-ci/github-workflow.yml and gitlab-ci.yml are what a kernel
fork copies or includes to gate its pull or merge requests.  This tool runs
the shell steps of one of them, in order, the way the CI would: the kernel
checkout is --kdir (its HEAD is the request's head), the target branch is
--base, the arch --arch, and this project is the project checkout (GitHub:
a link to this repository; GitLab: a clone of its committed HEAD, as the
template clones ZDT_REPO_URL at ZDT_REF).  The CI's own expressions and
variables get those values (ZDT_REF: this repository's HEAD), and each
step gets the env: of its workflow, job and step.  GitHub's jobs run in
the order of their needs: (the gate, then the summary); upload-artifact
and download-artifact are copies under the workspace, the other actions
(checkout, cache) are what this tool sets up.  Left out: apt-get lines
(.ci/gate installs the dependencies itself) and git config --global.  A
step that fails stops the job, as on the CI, except the ones marked to run
always (GitHub's if: always()); the exit status is the first failing
step's.

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
from typing import Dict, List, NamedTuple, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli  # noqa: E402
import lock  # noqa: E402
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


EXPR = re.compile(r'\$\{\{\s*([^}]+?)\s*\}\}')


def expand(text: str, values: Dict[str, str]) -> str:
	"""text with its ${{ ... }} replaced by values (KeyError if one is not)."""
	return EXPR.sub(lambda m: values[m.group(1)], str(text))


class Step(NamedTuple):
	"""One step of a GitHub job: a run: command or a uses: action."""
	cmd: Optional[str]
	always: bool
	env: Dict[str, str]
	uses: Optional[str] = None
	with_: Dict[str, str] = {}


def github_steps(doc: dict, values: Dict[str, str], job: str = 'gate') -> List[Step]:
	"""The steps of a job, ${{ ... }} replaced by values in run:, env: and
	with:; each step's env is the workflow's, the job's and its own."""
	base = {k: expand(v, values) for k, v in doc.get('env', {}).items()}
	base.update({k: expand(v, values) for k, v in doc['jobs'][job].get('env', {}).items()})
	out = []
	for step in doc['jobs'][job]['steps']:
		env = dict(base, **{k: expand(v, values) for k, v in step.get('env', {}).items()})
		always = step.get('if') == 'always()'
		if 'run' in step:
			out.append(Step(expand(step['run'], values), always, env))
		else:
			out.append(Step(None, always, env, step['uses'].split('@')[0],
					{k: expand(v, values) for k, v in step.get('with', {}).items()}))
	return out


def github_jobs(doc: dict) -> List[str]:
	"""The jobs in an order their needs: allow."""
	jobs, done = list(doc['jobs']), []
	while jobs:
		for j in jobs:
			needs = doc['jobs'][j].get('needs', [])
			if all(n in done for n in ([needs] if isinstance(needs, str) else needs)):
				done.append(j)
				jobs.remove(j)
				break
		else:
			raise ToolError('the workflow\'s needs: have a cycle')
	return done


def artifact(step: Step, workspace: str) -> None:
	"""upload-artifact and download-artifact, as copies under the workspace."""
	store = os.path.join(workspace, '.artifacts')
	if step.uses == 'actions/upload-artifact':
		src = os.path.join(workspace, step.with_['path'])
		if os.path.isdir(src):
			shutil.copytree(src, os.path.join(store, step.with_['name']), dirs_exist_ok=True)
	elif step.uses == 'actions/download-artifact' and os.path.isdir(store):
		import fnmatch  # pylint: disable=import-outside-toplevel
		for name in sorted(os.listdir(store)):
			if fnmatch.fnmatch(name, step.with_.get('pattern', step.with_.get('name', '*'))):
				shutil.copytree(os.path.join(store, name),
						os.path.join(workspace, step.with_.get('path', '.'), name),
						dirs_exist_ok=True)


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
	with lock.Lock(src, f'the kernel tree {src}', 'kernel_ci', shared=True):
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
	ref = subprocess.run(['git', '-C', REPO, 'rev-parse', 'HEAD'], capture_output=True,
			     text=True, check=True).stdout.strip()
	status = 0
	if which == 'github':
		os.symlink(kdir, os.path.join(workspace, 'linux'))
		os.symlink(REPO, os.path.join(workspace, 'zone-device-kunit'))
		env.update(GITHUB_WORKSPACE=workspace,
			   GITHUB_STEP_SUMMARY=os.path.join(workspace, 'step-summary.md'))
		head = subprocess.run(['git', '-C', kdir, 'rev-parse', 'HEAD'], capture_output=True,
				      text=True, check=True).stdout.strip()
		values = {'github.base_ref': base, 'matrix.arch': arch,
			  'github.event.pull_request.head.sha': head,
			  'github.event.pull_request.number': '0', 'github.run_id': '0',
			  'env.ZDT_REPOSITORY': 'local', 'env.ZDT_REF': ref}
		for job in github_jobs(doc):
			job_failed = 0
			for step in github_steps(doc, values, job):
				if step.uses:
					if not (job_failed and not step.always):
						artifact(step, workspace)
					continue
				step_env = {**env, **step.env, 'ZDT_REPOSITORY': 'local', 'ZDT_REF': ref}
				rc = run_step(step.cmd, step.always, job_failed, workspace, step_env)
				job_failed = job_failed or rc
				status = status or rc
		return status
	# The project dir is the kernel tree itself; the template clones
	# this project next to it, so that place must be free.
	clone = os.path.join(os.path.dirname(kdir), 'zone-device-kunit')
	if os.path.exists(clone):
		raise ToolError(f'{clone} exists: the GitLab template clones the project there')
	env.update(CI_PROJECT_DIR=kdir, CI_MERGE_REQUEST_TARGET_BRANCH_NAME=base,
		   ZDT_ARCH=arch, ZDT_REPO_URL=f'file://{REPO}', ZDT_REF=ref)
	for k, v in doc['zone-device-kunit'].get('variables', {}).items():
		env.setdefault(k, str(v).replace('$CI_PROJECT_DIR', kdir))
	cleanup.append(clone)
	for cmd, always in gitlab_steps(doc):
		rc = run_step(cmd, always, status, kdir, env)
		status = status or rc
	return status


def run_step(cmd: str, always: bool, failed: int, cwd: str, env: Dict[str, str]) -> int:
	"""One shell step (skipped after a failure unless it runs always);
	its exit status."""
	if SKIP.match(cmd):
		print(f'kernel_ci: skipped: {cmd}', flush=True)
		return 0
	if failed and not always:
		return 0
	print(f'kernel_ci: $ {cmd}', flush=True)
	rc = subprocess.run(['bash', '-e', '-c', cmd], cwd=cwd, env=env, check=False).returncode
	if rc:
		print(f'kernel_ci: step exited {rc}', flush=True)
	return rc


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
