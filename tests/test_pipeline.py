"""The pipeline's wiring: every component, in an order that gates training."""

import json

from tfx.types import standard_artifacts

from components.ingestion import ingestion_config
from contract import formats
from contract import paths
from contract import splits
from models import hyperparameters
from pipeline import configs
from pipeline import pipeline

EXPECTED_COMPONENTS = [
    'MovieLensIngestion', 'StatisticsGen', 'CuratedSchema',
    'ExampleValidator', 'ExampleAnomaliesGate', 'Transform',
    'ImpressionRetrievalTrainer', 'ImpressionGen', 'Trainer',
    'ServingBaseline', 'Evaluator', 'TwoStageEvaluator', 'Pusher',
    'RetrievalTrainer', 'RetrievalEvaluator', 'RetrievalPusher',
]


def _pipeline(tmp_path):
  return pipeline.create_pipeline(
      pipeline_name='test', pipeline_root=str(tmp_path / 'root'),
      data_dir=str(tmp_path / 'data'), data_format=formats.ML_1M.name,
      schema_path=paths.SCHEMA_PATH,
      serving_model_dir=str(tmp_path / 'serving' / 'ranking'),
      retrieval_serving_model_dir=str(tmp_path / 'serving' / 'retrieval'),
      ingestion_config=ingestion_config.IngestionConfig(),
      model_config=hyperparameters.ModelConfig(),
      retrieval_config=hyperparameters.RetrievalConfig(),
      evaluation_config=configs.EvaluationConfig(),
      preprocessing_fn=configs.PREPROCESSING_FN, run_fn=configs.RUN_FN,
      retrieval_run_fn=configs.RETRIEVAL_RUN_FN,
      beam_pipeline_args=list(configs.DEFAULT_BEAM_ARGS),
      data_fingerprint='ratings.dat:10:1', schema_fingerprint='abc123')


def test_every_component_is_present(tmp_path):
  ids = [component.id for component in _pipeline(tmp_path).components]
  assert sorted(ids) == sorted(EXPECTED_COMPONENTS)


def test_the_ingestion_is_the_example_gen_typed_by_the_curated_schema(
    tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  ingestion = components['MovieLensIngestion']
  assert ingestion.outputs['examples'].type is standard_artifacts.Examples
  assert components['CuratedSchema'] in ingestion.upstream_nodes
  for reader in ('StatisticsGen', 'Transform', 'Evaluator',
                 'RetrievalEvaluator'):
    assert ingestion in components[reader].upstream_nodes


def test_transform_waits_for_the_anomalies_gate(tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  assert components['ExampleAnomaliesGate'] in (
      components['Transform'].upstream_nodes)


def test_code_is_referenced_by_dotted_path(tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  assert components['Transform'].exec_properties['preprocessing_fn'] == (
      configs.PREPROCESSING_FN)
  assert components['Trainer'].exec_properties['run_fn'] == configs.RUN_FN
  for retrieval_trainer in ('RetrievalTrainer', 'ImpressionRetrievalTrainer'):
    assert components[retrieval_trainer].exec_properties['run_fn'] == (
        configs.RETRIEVAL_RUN_FN)


def test_the_retrieval_model_is_evaluated_on_raw_examples_and_gated(tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  evaluator = components['RetrievalEvaluator']
  assert components['MovieLensIngestion'] in evaluator.upstream_nodes
  assert components['RetrievalTrainer'] in evaluator.upstream_nodes
  assert evaluator in components['RetrievalPusher'].upstream_nodes


def test_fingerprints_key_the_caches_of_the_ingestion_and_the_schema(tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  assert components['MovieLensIngestion'].exec_properties[
      'data_fingerprint'] == 'ratings.dat:10:1'
  assert components['CuratedSchema'].exec_properties['fingerprint'] == (
      'abc123')


def test_the_baseline_is_read_after_training_from_the_serving_directory(
    tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  baseline = components['ServingBaseline']
  assert components['Trainer'] in baseline.upstream_nodes
  assert baseline in components['Evaluator'].upstream_nodes
  assert baseline.exec_properties['serving_model_dir'] == str(
      tmp_path / 'serving' / 'ranking')


def test_the_impression_retriever_holds_out_the_newest_train_ratings(
    tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  config, _ = hyperparameters.RetrievalConfig.from_trainer_custom_config(
      json.loads(components['ImpressionRetrievalTrainer'].exec_properties[
          'custom_config']))
  assert config.held_out_newest == splits.IMPRESSION_POSITIONS
  assert components['ImpressionGen'].exec_properties['positions'] == (
      splits.IMPRESSION_POSITIONS)
  assert components['ImpressionRetrievalTrainer'] in (
      components['ImpressionGen'].upstream_nodes)
  assert components['ImpressionGen'] in components['Trainer'].upstream_nodes


def test_the_ranking_model_is_pushed_only_after_the_two_stage_evaluation(
    tmp_path):
  components = {c.id: c for c in _pipeline(tmp_path).components}
  two_stage = components['TwoStageEvaluator']
  for upstream in ('Trainer', 'RetrievalTrainer', 'Evaluator'):
    assert components[upstream] in two_stage.upstream_nodes
  pusher_inputs = components['Pusher'].inputs
  assert pusher_inputs['model_blessing'].producer_component_id == (
      'TwoStageEvaluator')
