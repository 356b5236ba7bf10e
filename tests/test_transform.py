"""The large-batch Transform executor against TFX's own, on the tiny run's examples."""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft
from tfx.components.transform import executor as transform_executor
from tfx.types import artifact_utils
from tfx.types import standard_artifacts
from tfx.types import standard_component_specs as specs

from components import transform
from contract import features
from contract import paths
from pipeline import configs


def _analyze(executor: transform_executor.Executor, output_dir: str,
             work_dir: str) -> tft.TFTransformOutput:
  """The executor's transform graph of a run's ingested examples."""
  root = paths.pipeline_root(output_dir)
  examples = standard_artifacts.Examples()
  examples.uri = paths.latest_output(root, paths.INGESTION, 'examples')
  examples.split_names = artifact_utils.encode_split_names(['train', 'eval'])
  schema = standard_artifacts.Schema()
  schema.uri = os.path.join(work_dir, 'schema')
  os.makedirs(schema.uri)
  shutil.copy(paths.SCHEMA_PATH, schema.uri)
  graph = standard_artifacts.TransformGraph()
  graph.uri = os.path.join(work_dir, 'transform_graph')
  executor.Do(
      {specs.EXAMPLES_KEY: [examples], specs.SCHEMA_KEY: [schema]},
      {specs.TRANSFORM_GRAPH_KEY: [graph]},
      {specs.PREPROCESSING_FN_KEY: configs.PREPROCESSING_FN,
       specs.DISABLE_STATISTICS_KEY: True,
       specs.FORCE_TF_COMPAT_V1_KEY: 0, specs.CUSTOM_CONFIG_KEY: 'null'})
  return tft.TFTransformOutput(graph.uri)


@pytest.fixture(scope='module')
def outputs(run, tmp_path_factory) -> tuple[tft.TFTransformOutput, ...]:
  assert run.completed.returncode == 0, run.completed.stderr[-3000:]
  work = tmp_path_factory.mktemp('transform')
  return tuple(
      _analyze(executor, run.output_dir, str(work / name))
      for name, executor in (('tfx', transform_executor.Executor()),
                             ('large_batches', transform.TransformExecutor())))


def test_large_batches_write_the_same_vocabularies(outputs):
  tfx_output, large_batch_output = outputs
  for name in (features.MOVIE_VOCABULARY, features.USER_VOCABULARY,
               features.GENRE_VOCABULARY, features.ZIP_PREFIX_VOCABULARY):
    assert (large_batch_output.vocabulary_by_name(name)
            == tfx_output.vocabulary_by_name(name))


def test_large_batches_transform_examples_the_same(run, outputs):
  eval_files = os.path.join(
      paths.latest_ingested_split(run.output_dir, 'eval'), '*')
  records = next(iter(tf.data.TFRecordDataset(
      tf.io.gfile.glob(eval_files), compression_type='GZIP').batch(256)))
  transformed = []
  for output in outputs:
    raw = tf.io.parse_example(records, output.raw_feature_spec())
    transformed.append(output.transform_features_layer()(raw))
  for name in features.continuous_feature_names():
    np.testing.assert_array_equal(transformed[0][name], transformed[1][name])
  np.testing.assert_array_equal(transformed[0][features.MOVIE_INDEX],
                                transformed[1][features.MOVIE_INDEX])
