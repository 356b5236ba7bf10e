"""The pipeline: raw MovieLens files in, blessed and pushed ranking and retrieval models out."""

import tensorflow_data_validation as tfdv
from tfx import v1 as tfx

from components.anomalies_gate import ExampleAnomaliesGate
from components.curated_schema import CuratedSchema
from components.impression_gen import ImpressionGen
from components.ingestion.component import MovieLensIngestion
from components.ingestion.ingestion_config import IngestionConfig
from components.ranking_trainer import RankingTrainer
from components.retrieval_evaluator import RetrievalEvaluator
from components.serving_baseline import Evaluator
from components.serving_baseline import ServingBaseline
from components.two_stage_evaluator import TwoStageEvaluator
from contract import formats
from contract import paths
from contract import request_lengths
from contract import splits
from models import hyperparameters
from pipeline import configs
from pipeline import evaluation

# Every row is still read and checked. TFDV's default top-k and unique counts
# of string features run as a Beam shuffle of every distinct value, and each
# history string is nearly unique: on full ml-1m that took StatisticsGen 140
# CPU-s, against 73 with the sketches, which are exact for the categorical
# features the schema gives domains to (at most 21 values each).
STATS_OPTIONS = tfdv.StatsOptions(experimental_use_sketch_based_topk_uniques=True)


def ingestion_components(
    data_dir: str, data_format: str, schema_path: str,
    ingestion_config: IngestionConfig, data_fingerprint: str = '',
    schema_fingerprint: str = ''
) -> tuple[CuratedSchema, MovieLensIngestion]:
  """The pipeline's first two steps: the curated schema, and the examples typed by it.

  The format and the fingerprints are create_pipeline's.
  """
  schema_gen = CuratedSchema(schema_file=schema_path, data_format=data_format,
                             fingerprint=schema_fingerprint)
  ingestion = MovieLensIngestion(
      data_dir=data_dir,
      data_format=data_format,
      schema=schema_gen.outputs['schema'],
      data_fingerprint=data_fingerprint,
      split_protocol=ingestion_config.split_protocol,
      history_length=ingestion_config.history_length,
      raters_length=ingestion_config.raters_length,
      max_reject_share=ingestion_config.max_reject_share)
  return schema_gen, ingestion


def create_pipeline(
    pipeline_name: str,
    pipeline_root: str,
    data_dir: str,
    data_format: str,
    schema_path: str,
    serving_model_dir: str,
    retrieval_serving_model_dir: str,
    ingestion_config: IngestionConfig,
    model_config: hyperparameters.ModelConfig,
    retrieval_config: hyperparameters.RetrievalConfig,
    evaluation_config: configs.EvaluationConfig,
    preprocessing_fn: str,
    run_fn: str,
    retrieval_run_fn: str,
    beam_pipeline_args: list[str],
    metadata_connection_config=None,
    enable_cache: bool = True,
    data_fingerprint: str = '',
    schema_fingerprint: str = '',
    vertex_training: configs.VertexTraining | None = None,
) -> tfx.dsl.Pipeline:
  """Wires every component; the runners only choose where it runs.

  `data_format` names the format of the files in `data_dir`
  (contract/formats.py): the schema, the Transform's stars label and the
  models' demographic inputs follow it.

  `data_fingerprint` and `schema_fingerprint` are what the runner saw of the
  data files (components/ingestion/input_files.fingerprint) and of the schema
  (components/curated_schema.content_fingerprint): they key the ingestion's
  and the schema's caches, so edited files are read again.
  `vertex_training` trains the three Trainers on Vertex AI worker pools.
  """
  schema_gen, ingestion = ingestion_components(
      data_dir, data_format, schema_path, ingestion_config, data_fingerprint,
      schema_fingerprint)
  format_config = {formats.CUSTOM_CONFIG_KEY: data_format}
  examples = ingestion.outputs['examples']
  lengths = request_lengths.RequestLengths(ingestion_config.history_length,
                                           ingestion_config.raters_length)
  statistics_gen = tfx.components.StatisticsGen(
      examples=examples, stats_options=STATS_OPTIONS)
  example_validator = tfx.components.ExampleValidator(
      statistics=statistics_gen.outputs['statistics'],
      schema=schema_gen.outputs['schema'])
  anomalies_gate = ExampleAnomaliesGate(
      anomalies=example_validator.outputs['anomalies'])

  # Transform only analyzes: the Trainers apply its graph to the ingested
  # examples themselves and keep the result in memory (trainer_module), so
  # the transformed examples are never written and read back. Nothing reads
  # Transform's own statistics: StatisticsGen has already described the data.
  # Nor does anything read an analyzer cache: it serves runs that add spans to
  # data already analyzed, and a rerun on the same data is cached whole.
  transform = tfx.components.Transform(
      examples=examples,
      schema=schema_gen.outputs['schema'],
      preprocessing_fn=preprocessing_fn,
      custom_config=format_config,
      materialize=False,
      disable_statistics=True,
      disable_analyzer_cache=True)
  transform.add_upstream_node(anomalies_gate)

  # On Vertex AI worker pools each Trainer's step starts a CustomJob whose
  # replicas train together; the job's settings travel in custom_config.
  vertex_config = vertex_training.custom_config() if vertex_training else {}
  trainer_class = (tfx.extensions.google_cloud_ai_platform.Trainer
                   if vertex_training else tfx.components.Trainer)

  def retrieval_trainer_of(config: hyperparameters.RetrievalConfig
                           ) -> tfx.components.Trainer:
    return trainer_class(
        run_fn=retrieval_run_fn,
        examples=examples,
        transform_graph=transform.outputs['transform_graph'],
        schema=schema_gen.outputs['schema'],
        train_args=tfx.proto.TrainArgs(splits=[splits.TRAIN_SPLIT]),
        eval_args=tfx.proto.EvalArgs(splits=[splits.EVAL_SPLIT]),
        custom_config={**config.trainer_custom_config(lengths),
                       **format_config, **vertex_config})

  # The ranking stage's impressions: a retriever trained without each
  # user's newest train ratings lists candidates for them.
  impression_trainer = retrieval_trainer_of(
      configs.impression_retrieval_config(retrieval_config)).with_id(
          paths.IMPRESSION_TRAINER)
  impression_gen = ImpressionGen(
      examples=examples, model=impression_trainer.outputs['model'],
      positions=splits.IMPRESSION_POSITIONS)

  trainer = RankingTrainer(
      run_fn=run_fn,
      examples=examples,
      impressions=impression_gen.outputs['impressions'],
      transform_graph=transform.outputs['transform_graph'],
      schema=schema_gen.outputs['schema'],
      train_args=tfx.proto.TrainArgs(splits=[splits.TRAIN_SPLIT]),
      eval_args=tfx.proto.EvalArgs(splits=[splits.EVAL_SPLIT]),
      custom_config={**model_config.trainer_custom_config(lengths),
                     **format_config, **vertex_config},
      on_vertex=vertex_training is not None,
  ).with_id(paths.TRAINER)

  # The last blessed model is the newest one pushed: read from the serving
  # directory, not by an ML Metadata query, so every orchestrator runs it.
  baseline = ServingBaseline(model=trainer.outputs['model'],
                             serving_model_dir=serving_model_dir)
  evaluator = Evaluator(
      examples=examples,
      model=trainer.outputs['model'],
      baseline_model=baseline.outputs['baseline'],
      example_splits=[splits.EVAL_SPLIT],
      eval_config=evaluation.make_eval_config(
          evaluation_config, formats.by_name(data_format).rating_scale),
  ).with_id(paths.EVALUATOR)

  retrieval_trainer = retrieval_trainer_of(retrieval_config).with_id(
      paths.RETRIEVAL_TRAINER)
  retrieval_evaluator = RetrievalEvaluator(
      examples=examples,
      model=retrieval_trainer.outputs['model'],
      split_protocol=ingestion_config.split_protocol,
      min_gain_over_popularity=(
          evaluation_config.min_retrieval_hr_gain_over_popularity))
  retrieval_pusher = tfx.components.Pusher(
      model=retrieval_trainer.outputs['model'],
      model_blessing=retrieval_evaluator.outputs['blessing'],
      push_destination=tfx.proto.PushDestination(
          filesystem=tfx.proto.PushDestination.Filesystem(
              base_directory=retrieval_serving_model_dir)),
  ).with_id(paths.RETRIEVAL_PUSHER)

  # The ranking model is pushed when TFMA blessed its rating heads and its
  # engagement head orders retrieval's candidates no worse than retrieval.
  two_stage_evaluator = TwoStageEvaluator(
      examples=examples,
      retrieval_model=retrieval_trainer.outputs['model'],
      ranking_model=trainer.outputs['model'],
      rating_blessing=evaluator.outputs['blessing'],
      min_ndcg_gain=evaluation_config.min_two_stage_ndcg_gain,
  ).with_id(paths.TWO_STAGE_EVALUATOR)
  pusher = tfx.components.Pusher(
      model=trainer.outputs['model'],
      model_blessing=two_stage_evaluator.outputs['blessing'],
      push_destination=tfx.proto.PushDestination(
          filesystem=tfx.proto.PushDestination.Filesystem(
              base_directory=serving_model_dir))).with_id(paths.PUSHER)

  return tfx.dsl.Pipeline(
      pipeline_name=pipeline_name,
      pipeline_root=pipeline_root,
      components=[
          schema_gen, ingestion, statistics_gen,
          example_validator, anomalies_gate, transform,
          impression_trainer, impression_gen, trainer, baseline, evaluator,
          retrieval_trainer, retrieval_evaluator, retrieval_pusher,
          two_stage_evaluator, pusher,
      ],
      enable_cache=enable_cache,
      metadata_connection_config=metadata_connection_config,
      beam_pipeline_args=beam_pipeline_args)
