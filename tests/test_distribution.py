"""models/distribution.py: the Trainers' run_fns on two worker processes on loopback."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO
from contract import features
from contract import formats
from contract import paths
from contract import splits
from models import distribution
from serving import scoring

# One worker process: calls a Trainer's run_fn as TFX's Trainer executor
# does, with the shared tiny run's artifacts and a small config. The ranking
# tables are row-wise (dense_table_max_users 0), as at ml-10m's size and
# above, so the lazy optimizer's sparse updates run across the workers too.
WORKER = '''
import contract
import os, sys
from tfx import v1 as tfx
from contract import formats, paths, request_lengths, splits
from models import hyperparameters
import retrieval_trainer_module, trainer_module

trainer, run_output, out = sys.argv[1:]
root = paths.pipeline_root(run_output)

def split_files(node, key):
  return [os.path.join(paths.split_dir(paths.latest_output(root, node, key),
                                       splits.TRAIN_SPLIT), '*')]

if trainer == 'ranking':
  config = hyperparameters.ModelConfig.with_overrides(
      {'epochs': 1, 'ensemble_size': 1, 'autorec_epochs': 1,
       'engagement_epochs': 1, 'dense_table_max_users': 0})
  run_fn = trainer_module.run_fn
else:
  config = hyperparameters.RetrievalConfig.with_overrides({'epochs': 1})
  run_fn = retrieval_trainer_module.run_fn
run_fn(tfx.components.FnArgs(
    train_files=split_files(paths.INGESTION, 'examples'),
    transform_output=paths.latest_output(root, paths.TRANSFORM,
                                         'transform_graph'),
    serving_model_dir=os.path.join(out, 'serving'),
    model_run_dir=os.path.join(out, 'run'),
    custom_config={
        **config.trainer_custom_config(request_lengths.RequestLengths(50, 20)),
        formats.CUSTOM_CONFIG_KEY: formats.ML_1M.name,
        paths.IMPRESSION_FILES: split_files(paths.IMPRESSION_GEN,
                                            'impressions')}))
'''


def _free_ports(count: int) -> list[int]:
  sockets = [socket.socket() for _ in range(count)]
  for sock in sockets:
    sock.bind(('localhost', 0))
  ports = [sock.getsockname()[1] for sock in sockets]
  for sock in sockets:
    sock.close()
  return ports


def _train_on_two_workers(trainer: str, run_output: str, out: str) -> None:
  """Both workers given the same output directory, as Vertex gives replicas."""
  cluster = {'worker': [f'localhost:{port}' for port in _free_ports(2)]}
  workers = [subprocess.Popen(
      [sys.executable, '-c', WORKER, trainer, run_output, out], cwd=REPO,
      env={**os.environ, distribution.TF_CONFIG: json.dumps(
          {'cluster': cluster, 'task': {'type': 'worker', 'index': index}})},
      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for index in range(2)]
  logs = [worker.communicate(timeout=600)[0] for worker in workers]
  for worker, log in zip(workers, logs):
    assert worker.returncode == 0, log[-5000:]


@pytest.mark.parametrize('tf_config, workers, chief', [
    ('', 1, True),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, '
     '"task": {"type": "worker", "index": 0}}', 2, True),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, '
     '"task": {"type": "worker", "index": 1}}', 2, False),
    ('{"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, '
     '"task": {"type": "worker", "index": 0}}', 2, False),
    ('{"cluster": {"chief": ["c:0"], "worker": ["a:1"]}, '
     '"task": {"type": "chief", "index": 0}}', 2, True),
])
def test_workers_and_the_chief_come_from_tf_config(monkeypatch, tf_config,
                                                   workers, chief):
  monkeypatch.setenv(distribution.TF_CONFIG, tf_config)
  assert distribution.num_workers() == workers
  assert distribution.is_chief() == chief


def test_only_the_chief_writes_where_outputs_go(monkeypatch, tmp_path):
  monkeypatch.setenv(distribution.TF_CONFIG, json.dumps(
      {'cluster': {'worker': ['a:1', 'b:2']},
       'task': {'type': 'worker', 'index': 1}}))
  with distribution.output_dir(str(tmp_path / 'model')) as directory:
    assert directory != str(tmp_path / 'model')
    (open(os.path.join(directory, 'saved'), 'w')).close()
  assert not os.path.exists(directory)
  assert not (tmp_path / 'model').exists()


def test_two_workers_train_both_models_and_the_chief_pushes_them(run,
                                                                 tmp_path):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  rows = scoring.read_rows(paths.latest_ingested_split(run.output_dir,
                                                       splits.EVAL_SPLIT))
  requests = scoring.serialize_rows(rows[:20],
                                    scoring.load_schema(formats.ML_1M))

  _train_on_two_workers('ranking', run.output_dir, str(tmp_path / 'ranking'))
  ranking = scoring.load_serving_fn(str(tmp_path / 'ranking' / 'serving'))
  outputs = scoring.score(ranking, requests)
  assert outputs[features.RATING_HEAD].shape == (20, 1)
  assert all(np.isfinite(value).all() for value in outputs.values())

  _train_on_two_workers('retrieval', run.output_dir,
                        str(tmp_path / 'retrieval'))
  retrieval = tf.saved_model.load(str(tmp_path / 'retrieval' / 'serving'))
  retrieved = retrieval.signatures['serving_default'](
      examples=tf.constant(requests))
  assert retrieved[features.RETRIEVED_MOVIE_IDS].shape[0] == 20
  assert np.isfinite(retrieved[features.RETRIEVAL_SCORES].numpy()).any()


@pytest.mark.parametrize('task, expected', [
    (None, distribution.WHOLE),
    ({'type': 'chief', 'index': 0}, distribution.Shard(0, 3)),
    ({'type': 'worker', 'index': 1}, distribution.Shard(2, 3)),
])
def test_each_worker_has_its_own_place_chief_first(monkeypatch, task,
                                                   expected):
  config = {'cluster': {'chief': ['a:1'], 'worker': ['b:1', 'c:1']}}
  if task:
    config['task'] = task
  monkeypatch.setenv(distribution.TF_CONFIG, json.dumps(config))
  assert distribution.this_worker() == expected
