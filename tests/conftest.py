"""The one end-to-end pipeline run that several test modules share.

Importing `contract` first selects Keras 2 for every test, as it does for the
`ytdnn` command; the project's packages are importable because `make test`
installs them (editable) into the venv.
"""

import os
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


def make_tiny_sample(data_dir: str) -> None:
  """The synthetic sample at 120 users and 80 movies: big enough to bless."""
  subprocess.run(
      [sys.executable, os.path.join(REPO, 'data', 'make_sample.py'),
       '--output-dir', data_dir, '--users', '120', '--movies', '80'],
      check=True)


@pytest.fixture(scope='session')
def run(tmp_path_factory) -> Run:
  """One pipeline run on a tiny sample, shared by every test that needs one."""
  data_dir = str(tmp_path_factory.mktemp('data'))
  output_dir = str(tmp_path_factory.mktemp('run'))
  make_tiny_sample(data_dir)
  return Run(data_dir, output_dir, ytdnn_run(
      data_dir, output_dir, *TINY_RUN_FLAGS))
