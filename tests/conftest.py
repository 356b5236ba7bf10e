"""The one end-to-end pipeline run that several test modules share.

`make test` runs the suite on two pytest-xdist workers; the first worker to
need the shared run makes it and the other waits for it, under a file lock
in the session's temporary directory, so the run is made once per session.

Importing `contract` first selects Keras 2 for every test, as it does for the
`ytdnn` command; the project's packages are importable because `make test`
installs them (editable) into the venv.
"""

import fcntl
import json
import os
import pathlib
import subprocess
import sys
from typing import NamedTuple

import pytest

import contract  # pylint: disable=unused-import

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

YTDNN = os.path.join(os.path.dirname(sys.executable), 'ytdnn')


class Run(NamedTuple):
  data_dir: str
  output_dir: str
  completed: subprocess.CompletedProcess


def ytdnn_run(data_dir: str, output_dir: str,
              *flags: str) -> subprocess.CompletedProcess:
  return subprocess.run(
      [YTDNN, 'run', '--data-dir', data_dir, '--output-dir', output_dir,
       *flags],
      cwd=output_dir, capture_output=True, text=True,
      timeout=900)


# Flags that keep a run on the tiny sample to about a minute and a half.
TINY_RUN_FLAGS = ('--epochs', '3', '--batch-size', '128')
# For the runs that test the pipeline's mechanics rather than its model: one
# ranking model instead of the default averaged three trains in a third of
# the time. The shared run keeps the default.
TINY_SINGLE_MODEL_FLAGS = (*TINY_RUN_FLAGS, '--ensemble-size', '1')


def make_tiny_sample(data_dir: str, data_format: str = 'ml-1m') -> None:
  """The synthetic sample at 120 users and 80 movies: big enough to bless."""
  subprocess.run(
      [sys.executable, os.path.join(REPO, 'data', 'make_sample.py'),
       '--output-dir', data_dir, '--users', '120', '--movies', '80',
       '--format', data_format],
      check=True)


def _make_run(directory: pathlib.Path) -> Run:
  data_dir = directory / 'data'
  output_dir = directory / 'run'
  data_dir.mkdir()
  output_dir.mkdir()
  make_tiny_sample(str(data_dir))
  return Run(str(data_dir), str(output_dir), ytdnn_run(
      str(data_dir), str(output_dir), *TINY_RUN_FLAGS))


@pytest.fixture(scope='session')
def run(tmp_path_factory, worker_id: str) -> Run:
  """One pipeline run on a tiny sample, shared by every test that needs one.

  Tests must not change it: one that reruns the pipeline copies it first.
  """
  if worker_id == 'master':  # One process: no other worker to share with.
    return _make_run(tmp_path_factory.mktemp('shared'))
  # Every worker's base directory is in this session's own directory.
  session_dir = tmp_path_factory.getbasetemp().parent
  record = session_dir / 'shared_run.json'
  with open(session_dir / 'shared_run.lock', 'w') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not record.exists():
      shared = session_dir / 'shared'
      shared.mkdir()
      made = _make_run(shared)
      record.write_text(json.dumps({
          'data_dir': made.data_dir, 'output_dir': made.output_dir,
          'returncode': made.completed.returncode,
          'stdout': made.completed.stdout, 'stderr': made.completed.stderr}))
  saved = json.loads(record.read_text())
  return Run(saved['data_dir'], saved['output_dir'],
             subprocess.CompletedProcess(
                 [YTDNN, 'run'], saved['returncode'], saved['stdout'],
                 saved['stderr']))
