"""A `ytdnn run` killed by a signal resumes when rerun.

One scenario on the tiny sample: it starts from the shared complete run (its
ML Metadata and pushed models copied to a directory of its own); on changed
data one run is killed (SIGTERM) while Transform writes its outputs and the
next (SIGKILL) while the Trainer trains; a last run completes. After every
kill the first pushed model must be untouched and serve exactly as before, and
ML Metadata must register no output of a killed execution.
"""

import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from typing import NamedTuple

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2
import numpy as np
import pytest

from conftest import Run
from conftest import TINY_SINGLE_MODEL_FLAGS
from conftest import YTDNN
from conftest import ytdnn_run
from contract import formats
from contract import paths
from contract import splits
from reporting import run_record
from serving import scoring

_Execution = metadata_store_pb2.Execution
_FINISHED = (_Execution.COMPLETE, _Execution.CACHED)
UPSTREAM_OF_TRANSFORM = ('CuratedSchema', 'MovieLensIngestion',
                         'StatisticsGen', 'ExampleValidator')
DROPPED_RATINGS = 50
KILL_WAIT_S = 600
POLL_S = 0.2
# Stages of the scenario at which the first pushed model is checked.
FIRST_RUN = 'first run'
TRANSFORM_KILLED = 'Transform killed'
TRAINER_KILLED = 'Trainer killed'


def _output_files(output_dir: str, node: str, execution_id: int) -> list[str]:
  """Files an execution has written so far: TFX gives each output artifact
  the directory <pipeline_root>/<node>/<output key>/<execution id>."""
  return [path for path in glob.glob(os.path.join(
      paths.pipeline_root(output_dir), node, '*', str(execution_id), '**'),
      recursive=True) if os.path.isfile(path)]


def _running_with_output(output_dir: str, node: str,
                         after_id: int) -> int | None:
  """The id of a new RUNNING execution of `node` that has begun writing."""
  try:
    store = run_record.open_store(paths.metadata_path(output_dir))
    executions = store.get_executions()
  except mlmd.errors.StatusError:  # The runner is creating the store.
    return None
  for execution in executions:
    if (execution.id > after_id
        and execution.last_known_state == _Execution.RUNNING
        and run_record.node_id(store, execution.id) == node
        and _output_files(output_dir, node, execution.id)):
      return execution.id
  return None


def _run_killed_during(node: str, sig: signal.Signals, data_dir: str,
                       output_dir: str, log_path: str) -> int:
  """Starts `ytdnn run`, signals its process group once `node` is running and
  has written part of its outputs, and returns that execution's id."""
  after_id = max((e.id for e in run_record.open_store(paths.metadata_path(output_dir)).get_executions()),
                 default=0)
  with open(log_path, 'w') as log:
    process = subprocess.Popen(
        [YTDNN, 'run', '--data-dir', data_dir, '--output-dir', output_dir,
         *TINY_SINGLE_MODEL_FLAGS],
        cwd=output_dir, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    execution_id = None
    deadline = time.monotonic() + KILL_WAIT_S
    while (execution_id is None and process.poll() is None
           and time.monotonic() < deadline):
      time.sleep(POLL_S)
      execution_id = _running_with_output(output_dir, node, after_id)
    if process.poll() is None:
      os.killpg(process.pid, sig)
    process.wait(timeout=60)
  if execution_id is None:
    with open(log_path) as log:
      pytest.fail(f'{node} never ran; the run ended with '
                  f'{process.returncode}:\n{log.read()[-5000:]}')
  assert process.returncode == -sig
  return execution_id


def _registration_problems(output_dir: str) -> list[str]:
  """Artifacts ML Metadata registers that no finished execution produced."""
  store = run_record.open_store(paths.metadata_path(output_dir))
  finished = {e.id for e in store.get_executions()
              if e.last_known_state in _FINISHED}
  producers: dict[int, set[int]] = {}
  for event in store.get_events_by_execution_ids(
      [e.id for e in store.get_executions()]):
    if event.type == metadata_store_pb2.Event.OUTPUT:
      producers.setdefault(event.artifact_id, set()).add(event.execution_id)
  return [f'artifact {a.id} ({a.type}, {a.uri}) is '
          f'{metadata_store_pb2.Artifact.State.Name(a.state)}, output of '
          f'executions {sorted(producers.get(a.id, ()))}'
          for a in store.get_artifacts()
          if a.state != metadata_store_pb2.Artifact.LIVE
          or not producers.get(a.id, set()) & finished]


def _fingerprint(directory: str) -> str:
  """A hash of every file's path and bytes under a directory."""
  digest = hashlib.sha256()
  for path in sorted(glob.glob(os.path.join(directory, '**'), recursive=True)):
    if os.path.isfile(path):
      digest.update(os.path.relpath(path, directory).encode())
      with open(path, 'rb') as f:
        digest.update(f.read())
  return digest.hexdigest()


def _drop_last_ratings(data_dir: str, changed_dir: str) -> None:
  """A copy of the data without its last ratings, in a new directory: the
  ingestion's cache key is its data directory's path, not the files in it."""
  shutil.copytree(data_dir, changed_dir)
  ratings = os.path.join(changed_dir, 'ratings.dat')
  with open(ratings) as f:
    lines = f.readlines()
  with open(ratings, 'w') as f:
    f.writelines(lines[:-DROPPED_RATINGS])


def _final_states(log: str) -> dict[str, str]:
  """Each component's last word in a run's progress lines: done, cached..."""
  return {match[1]: match[2] for match in re.finditer(
      r'^  (\S+) (\S+) in [0-9.]+ s$', log, flags=re.MULTILINE)}


class Served(NamedTuple):
  """What the first pushed model looked like and answered at one stage."""
  latest_version: str
  fingerprint: str
  outputs: dict[str, np.ndarray]


class Scenario(NamedTuple):
  """What the scenario saw; `killed` and its logs are keyed by component."""
  output_dir: str
  first_version: str
  killed: dict[str, int]
  killed_logs: dict[str, str]
  final_run: subprocess.CompletedProcess
  versions_after_final_run: list[str]
  served: dict[str, Served]
  registration_problems: dict[str, list[str]]
  killed_output_files: dict[str, list[str]]


def _copy_finished_run(run: Run, output_dir: str) -> None:
  """The shared run's ML Metadata and pushed models, so that this scenario
  starts from a pushed model without a run of its own and leaves the shared
  one alone. The copied artifacts keep pointing into the shared run's
  pipeline root, which the scenario only reads."""
  os.makedirs(os.path.dirname(paths.metadata_path(output_dir)))
  shutil.copy2(paths.metadata_path(run.output_dir),
               paths.metadata_path(output_dir))
  models_dir = os.path.dirname(paths.serving_model_dir(run.output_dir))
  shutil.copytree(models_dir, os.path.join(output_dir,
                                           os.path.basename(models_dir)))


@pytest.fixture(scope='module')
def scenario(run, tmp_path_factory) -> Scenario:
  """Runs the whole scenario once; the tests check what it recorded."""
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  changed_dir = str(tmp_path_factory.mktemp('data') / 'changed')
  _drop_last_ratings(run.data_dir, changed_dir)
  output_dir = str(tmp_path_factory.mktemp('interrupted'))
  _copy_finished_run(run, output_dir)
  logs_dir = tmp_path_factory.mktemp('logs')

  serving_model_dir = paths.serving_model_dir(output_dir)
  first_version = scoring.latest_pushed_model(serving_model_dir)
  rows = scoring.read_rows(
      paths.latest_ingested_split(run.output_dir, splits.EVAL_SPLIT))[:64]
  schema = scoring.load_schema(formats.ML_1M)
  requests = scoring.serialize_rows(rows, schema)

  def served() -> Served:
    return Served(
        scoring.latest_pushed_model(serving_model_dir),
        _fingerprint(first_version),
        scoring.score(scoring.load_serving_fn(first_version), requests))

  recorded = {FIRST_RUN: served()}
  problems = {FIRST_RUN: _registration_problems(output_dir)}
  killed, killed_logs, killed_files = {}, {}, {}
  for stage, node, sig in ((TRANSFORM_KILLED, 'Transform', signal.SIGTERM),
                           (TRAINER_KILLED, 'Trainer', signal.SIGKILL)):
    log_path = str(logs_dir / f'{node}.log')
    killed[node] = _run_killed_during(node, sig, changed_dir, output_dir,
                                      log_path)
    with open(log_path) as log:
      killed_logs[node] = log.read()
    killed_files[node] = _output_files(output_dir, node, killed[node])
    recorded[stage] = served()
    problems[stage] = _registration_problems(output_dir)

  final_run = ytdnn_run(changed_dir, output_dir, *TINY_SINGLE_MODEL_FLAGS)
  problems['final run'] = _registration_problems(output_dir)
  return Scenario(output_dir, first_version, killed, killed_logs, final_run,
                  sorted(os.listdir(serving_model_dir), key=int), recorded,
                  problems, killed_files)


def test_the_run_after_the_kills_completes(scenario):
  """Whether its model is blessed is the Evaluator's call on the new data."""
  final = scenario.final_run
  assert final.returncode == 0, final.stderr[-5000:]
  assert _final_states(final.stdout)['Evaluator'] == 'done'
  assert os.path.basename(scenario.first_version) in (
      scenario.versions_after_final_run)


def test_reruns_reuse_what_finished_before_the_kill(scenario):
  """After the Transform kill the upstream is cached and Transform reruns;
  after the Trainer kill Transform is cached too and the Trainer reruns."""
  after_transform_kill = _final_states(scenario.killed_logs['Trainer'])
  for node in UPSTREAM_OF_TRANSFORM:
    assert after_transform_kill[node] == 'cached', node
  assert after_transform_kill['Transform'] == 'done'
  after_trainer_kill = _final_states(scenario.final_run.stdout)
  for node in UPSTREAM_OF_TRANSFORM + ('Transform',):
    assert after_trainer_kill[node] == 'cached', node
  assert after_trainer_kill['Trainer'] == 'done'


def test_the_kills_hit_components_while_they_wrote_outputs(scenario):
  for node in ('Transform', 'Trainer'):
    assert scenario.killed_output_files[node], node


def test_no_output_of_a_killed_execution_is_registered(scenario):
  """TFX 1.16 registers outputs only when an execution succeeds: a killed one
  stays RUNNING in ML Metadata with inputs and no outputs, and its
  half-written files stay on disk, unreferenced."""
  for stage, problems in scenario.registration_problems.items():
    assert not problems, stage
  store = run_record.open_store(paths.metadata_path(scenario.output_dir))
  for node, execution_id in scenario.killed.items():
    [execution] = store.get_executions_by_id([execution_id])
    assert execution.last_known_state == _Execution.RUNNING, node
    events = store.get_events_by_execution_ids([execution_id])
    assert events, node
    assert all(e.type == metadata_store_pb2.Event.INPUT for e in events), node
    registered = [a.uri + os.sep for a in store.get_artifacts()]
    for path in scenario.killed_output_files[node]:
      assert not any(path.startswith(uri) for uri in registered), path


def test_the_pushed_model_stays_intact_and_servable_after_each_kill(scenario):
  first = scenario.served[FIRST_RUN]
  assert first.latest_version == scenario.first_version
  for stage in (TRANSFORM_KILLED, TRAINER_KILLED):
    served = scenario.served[stage]
    assert served.latest_version == scenario.first_version, stage
    assert served.fingerprint == first.fingerprint, stage
    for name, values in first.outputs.items():
      np.testing.assert_allclose(served.outputs[name], values, rtol=1e-6,
                                 err_msg=f'{stage}: {name}')
