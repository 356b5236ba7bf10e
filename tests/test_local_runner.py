"""End to end: `ytdnn run` on a tiny synthetic sample, then the pushed model
scored through `serving_default` in a fresh process."""

import glob
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from tfx.utils import path_utils

from conftest import TINY_SINGLE_MODEL_FLAGS
from conftest import make_tiny_sample
from conftest import ytdnn_run
from contract import features
from contract import formats
from contract import paths
from contract import splits
from models import signatures
from serving import scoring

SCORE_PUSHED_MODEL = '''
import json, os, sys
import numpy as np
from contract import formats
from contract import paths
from serving import scoring
output_dir, = sys.argv[1:]
rows = scoring.read_rows(paths.latest_ingested_split(output_dir, 'eval'))
schema = scoring.load_schema(formats.ML_1M)
serve = scoring.load_serving_fn(scoring.latest_pushed_model(
    paths.serving_model_dir(output_dir)))
outputs = scoring.score(serve,
                        scoring.serialize_rows(rows, schema))
ratings = np.array([float(row['rating']) for row in rows])
print(json.dumps({
    'count': len(rows),
    'finite': bool(all(np.isfinite(v).all() for v in outputs.values())),
    'rating_min': float(outputs['rating'].min()),
    'rating_max': float(outputs['rating'].max()),
    'stars_sum_error': float(np.abs(outputs['stars'].sum(axis=1) - 1).max()),
    'liked_min': float(outputs['liked'].min()),
    'liked_max': float(outputs['liked'].max()),
    'rmse': float(np.sqrt(np.mean((outputs['rating'][:, 0] - ratings) ** 2))),
}))
'''


def test_run_completes_with_a_summary(run):
  completed = run.completed
  assert completed.returncode == 0, completed.stderr[-5000:]
  assert 'Model blessed: yes' in completed.stdout
  assert 'rating/root_mean_squared_error' in completed.stdout
  assert 'Pushed model: ' in completed.stdout
  assert 'Trainer done in' in completed.stdout


def test_model_is_pushed_in_tf_serving_layout(run):
  output_dir = run.output_dir
  versions = glob.glob(os.path.join(paths.serving_model_dir(output_dir),
                                    '*', 'saved_model.pb'))
  assert len(versions) == 1
  assert os.path.basename(os.path.dirname(versions[0])).isdigit()


def test_pushed_model_scores_eval_examples_in_a_fresh_process(run):
  scored = subprocess.run(
      [sys.executable, '-c', SCORE_PUSHED_MODEL, run.output_dir],
      capture_output=True, text=True, check=True)
  result = json.loads(scored.stdout.strip().splitlines()[-1])
  assert result['count'] > 100
  assert result['finite']
  assert 0.0 < result['rating_min'] <= result['rating_max'] < 6.0
  assert result['stars_sum_error'] < 1e-4
  assert 0.0 <= result['liked_min'] <= result['liked_max'] <= 1.0
  assert result['rmse'] < 1.5


def test_a_worse_model_is_neither_blessed_nor_pushed(run, tmp_path):
  """Retrains the same pipeline for one huge-batch step, in a copy of the run.

  The copy's ML Metadata still points at the shared run's artifacts, which
  the worse run only reads; what it writes goes into the copy.
  """
  assert run.completed.returncode == 0
  output_dir = str(tmp_path / 'run')
  shutil.copytree(run.output_dir, output_dir)
  serving_model_dir = paths.serving_model_dir(output_dir)
  pushed_before = sorted(os.listdir(serving_model_dir))
  # One batch of the whole split: a multiple of the Trainer's 64-example
  # blocks above the tiny split's size.
  worse = ytdnn_run(run.data_dir, output_dir, '--epochs', '1',
                    '--batch-size', '100032', '--ensemble-size', '1')
  assert worse.returncode == 0, worse.stderr[-5000:]
  assert 'Model blessed: no' in worse.stdout
  assert 'MovieLensIngestion cached' in worse.stdout
  assert 'vs last blessed model' in worse.stdout
  assert sorted(os.listdir(serving_model_dir)) == pushed_before


def test_serving_needs_neither_the_label_nor_the_evaluation_only_columns(run):
  rows = scoring.read_rows(
      paths.latest_ingested_split(run.output_dir, 'eval'))[:20]
  schema = scoring.load_schema(formats.ML_1M)
  serve = scoring.load_serving_fn(scoring.latest_pushed_model(
      paths.serving_model_dir(run.output_dir)))
  requests = [{name: row[name] for name in signatures.request_features(schema)
               if name in row} for row in rows]
  served = serve(examples=tf.constant(scoring.serialize_rows(requests, schema)))
  whole = serve(examples=tf.constant(scoring.serialize_rows(rows, schema)))
  for head, values in served.items():
    np.testing.assert_allclose(values, whole[head], rtol=1e-6)


def test_serving_answers_odd_requests_or_rejects_them_clearly(run):
  """Unknown ids and odd histories get scores; malformed examples an error."""
  row = scoring.read_rows(
      paths.latest_ingested_split(run.output_dir, 'eval'))[0]
  schema = scoring.load_schema(formats.ML_1M)
  serve = scoring.load_serving_fn(scoring.latest_pushed_model(
      paths.serving_model_dir(run.output_dir)))
  odd_rows = [
      dict(row, user_id=999999, movie_id=999999),
      dict(row, history=[], history_ratings=[]),
      dict(row, history=[i % 80 + 1 for i in range(10_000)],
           history_ratings=[3] * 10_000),
      dict(row, history=[999998, 999999], history_ratings=[5, 1]),
  ]
  outputs = serve(examples=tf.constant(
      scoring.serialize_rows(odd_rows, schema)))
  for values in outputs.values():
    assert tf.reduce_all(tf.math.is_finite(values))

  def example_without(name: str) -> tf.train.Example:
    example = tf.train.Example.FromString(
        scoring.serialize_rows([row], schema)[0])
    del example.features.feature[name]
    return example

  missing_gender = example_without('gender')
  wrong_type = example_without('user_id')
  wrong_type.features.feature['user_id'].bytes_list.value.append(b'seven')
  misaligned = tf.train.Example.FromString(scoring.serialize_rows(
      [dict(row, history=[3, 7], history_ratings=[5])], schema)[0])
  for bad, feature in ((missing_gender, 'gender'), (wrong_type, 'user_id'),
                       (misaligned, 'history_ratings must hold one rating')):
    with pytest.raises(tf.errors.InvalidArgumentError, match=feature):
      serve(examples=tf.constant([bad.SerializeToString()]))


@pytest.mark.parametrize('data_format', [formats.ML_10M, formats.CSV],
                         ids=lambda data_format: data_format.name)
def test_a_release_without_demographics_runs_end_to_end(tmp_path,
                                                        data_format):
  """Reads the Trainers' own models: on a tiny sample whether the ranking
  stage beats retrieval alone, and so is pushed, is a coin toss."""
  data_dir, output_dir = tmp_path / 'data', tmp_path / 'run'
  output_dir.mkdir()
  make_tiny_sample(str(data_dir), data_format.name)
  completed = ytdnn_run(str(data_dir), str(output_dir),
                        *TINY_SINGLE_MODEL_FLAGS)
  assert completed.returncode == 0, completed.stderr[-5000:]
  assert (f'the {data_format.name} format (no demographics, half stars)'
          in completed.stdout)
  rows = scoring.read_rows(paths.latest_ingested_split(str(output_dir),
                                                       splits.EVAL_SPLIT))
  assert not {name for row in rows for name in row} & set(
      features.DEMOGRAPHIC_FEATURES)
  assert any(row[features.RATING] % 1 for row in rows), 'half stars kept'
  requests = scoring.serialize_rows(rows, scoring.load_schema(data_format))
  pipeline_root = paths.pipeline_root(str(output_dir))

  def trained(node_id: str) -> str:
    return path_utils.serving_model_path(
        paths.latest_output(pipeline_root, node_id, 'model'))

  outputs = scoring.score(scoring.load_serving_fn(trained(paths.TRAINER)),
                          requests)
  assert outputs[features.STARS_HEAD].shape == (
      len(rows), data_format.rating_scale.num_values)
  assert all(np.isfinite(value).all() for value in outputs.values())
  retrieved = scoring.load_serving_fn(trained(paths.RETRIEVAL_TRAINER))(
      examples=tf.constant(requests[:5]))
  assert np.isfinite(retrieved[features.RETRIEVAL_SCORES].numpy()).all()
