"""The ingestion's Beam job on Beam's portable path, the one Flink and Spark use.

Beam's own Python job service and a worker pool run on loopback, started and
stopped here; the ingestion submits its Beam job to them with an EXTERNAL
environment. Unlike the in-process DirectRunner, this pickles every DoFn and
ships it to worker processes, so it catches what those runners would reject.
Flink's, Spark's and Prism's job servers are downloaded at run time and
cannot run on a machine without internet (docs/deploy.md). The ingestion is
the pipeline's own Beam code; the whole tiny pipeline on this path took 184 s
(docs/deploy.md), too long for every test run.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from typing import Iterator

from tfx import v1 as tfx

from components import curated_schema
from components.ingestion import input_files
from components.ingestion.ingestion_config import IngestionConfig
from conftest import REPO
from conftest import make_tiny_sample
from contract import formats
from contract import paths
from contract import splits
from pipeline import pipeline
from serving import scoring

_START_TIMEOUT_S = 60


def _free_port() -> int:
  with socket.socket() as probe:
    probe.bind(('localhost', 0))
    return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
  deadline = time.monotonic() + _START_TIMEOUT_S
  while time.monotonic() < deadline:
    if process.poll() is not None:
      raise RuntimeError(f'{process.args} exited with {process.returncode}')
    with contextlib.suppress(OSError), socket.create_connection(
        ('localhost', port), timeout=1):
      return
    time.sleep(0.5)
  raise TimeoutError(f'nothing listens on port {port} after '
                     f'{_START_TIMEOUT_S} s: {process.args}')


@contextlib.contextmanager
def _serving(module: str, port_flag: str, port: int,
             log_path: str) -> Iterator[None]:
  """Runs `python -m module port_flag=port` until the block ends."""
  with open(log_path, 'w') as log:
    # The worker pool starts each worker as `python ...`: the venv's, first
    # on the PATH, as the image's Python is in a deployment.
    env = {**os.environ, 'PATH': os.pathsep.join(
        [os.path.dirname(sys.executable), os.environ.get('PATH', '')])}
    process = subprocess.Popen(
        [sys.executable, '-m', module, f'{port_flag}={port}'],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
      _wait_for_port(port, process)
      yield
    finally:
      process.terminate()
      try:
        process.wait(timeout=30)
      except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _ingestion_pipeline(data_dir: str, output_dir: str,
                        beam_args: list[str]) -> tfx.dsl.Pipeline:
  """The pipeline's first two steps, as pipeline.create_pipeline wires them."""
  schema, ingestion = pipeline.ingestion_components(
      data_dir, formats.ML_1M.name, paths.SCHEMA_PATH, IngestionConfig(),
      input_files.fingerprint(data_dir),
      curated_schema.content_fingerprint(paths.SCHEMA_PATH))
  return tfx.dsl.Pipeline(
      pipeline_name='portable', pipeline_root=paths.pipeline_root(output_dir),
      components=[schema, ingestion], beam_pipeline_args=beam_args,
      metadata_connection_config=(
          tfx.orchestration.metadata.sqlite_metadata_connection_config(
              paths.metadata_path(output_dir))))


def test_the_ingestion_runs_on_the_portable_runner_with_external_workers(
    tmp_path, monkeypatch):
  data_dir, output_dir = str(tmp_path / 'data'), str(tmp_path / 'run')
  os.makedirs(data_dir)
  make_tiny_sample(data_dir)
  # TFX builds and stages a source package of itself for remote workers at
  # every Beam step; this keeps those 49 MB copies out of the shared /tmp.
  monkeypatch.setenv('TMPDIR', str(tmp_path))
  job_port, worker_port = _free_port(), _free_port()
  with _serving('apache_beam.runners.portability.local_job_service_main',
                '--port', job_port, str(tmp_path / 'job_service.log')), \
      _serving('apache_beam.runners.worker.worker_pool_main',
               '--service_port', worker_port,
               str(tmp_path / 'worker_pool.log')):
    tfx.orchestration.LocalDagRunner().run(_ingestion_pipeline(
        data_dir, output_dir,
        ['--runner=PortableRunner', f'--job_endpoint=localhost:{job_port}',
         '--environment_type=EXTERNAL',
         f'--environment_config=localhost:{worker_port}']))
  with open(tmp_path / 'worker_pool.log') as log:
    assert 'Starting worker' in log.read(), 'no worker process ran the job'
  for split in (splits.TRAIN_SPLIT, splits.EVAL_SPLIT):
    assert scoring.read_rows(paths.latest_ingested_split(output_dir, split))
