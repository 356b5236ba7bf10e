"""Where everything lives: the schema, the sample, and a run's outputs.

A run's output directory holds `tfx/` (the pipeline root and the ML Metadata
store), `serving_model/` (the pushed models) and `report.html`. Under the
pipeline root TFX writes `<node id>/<output key>/<execution id>/`.
"""

import glob
import os

from contract import errors

_CONTRACT_DIR = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.path.join(_CONTRACT_DIR, 'schema.pbtxt')
SAMPLE_DATA_DIR = os.path.join(os.path.dirname(_CONTRACT_DIR), 'data',
                               'sample')

# Ids of the pipeline's nodes that readers of a run look up (the pipeline
# gives its components their class names as ids).
INGESTION = 'MovieLensIngestion'
STATISTICS_GEN = 'StatisticsGen'
EXAMPLE_VALIDATOR = 'ExampleValidator'
TRANSFORM = 'Transform'
IMPRESSION_TRAINER = 'ImpressionRetrievalTrainer'
IMPRESSION_GEN = 'ImpressionGen'
TRAINER = 'Trainer'
EVALUATOR = 'Evaluator'
TWO_STAGE_EVALUATOR = 'TwoStageEvaluator'
PUSHER = 'Pusher'
RETRIEVAL_TRAINER = 'RetrievalTrainer'
RETRIEVAL_EVALUATOR = 'RetrievalEvaluator'
RETRIEVAL_PUSHER = 'RetrievalPusher'

# Pushed models: one TF Serving base directory per model under `serving_model/`.
SERVING_MODELS = 'serving_model'
RANKING_MODEL = 'ranking'
RETRIEVAL_MODEL = 'retrieval'


def pipeline_root(output_dir: str) -> str:
  """Where a run's artifacts live under its output directory."""
  return os.path.join(output_dir, 'tfx', 'pipeline_root')


def metadata_path(output_dir: str) -> str:
  """The run's SQLite ML Metadata store under its output directory."""
  return os.path.join(output_dir, 'tfx', 'metadata.sqlite')


def serving_model_dir(output_dir: str) -> str:
  """Where blessed ranking models are pushed, one version directory each."""
  return os.path.join(output_dir, SERVING_MODELS, RANKING_MODEL)


def retrieval_serving_model_dir(output_dir: str) -> str:
  """Where blessed retrieval models are pushed, beside the ranking ones."""
  return os.path.join(output_dir, SERVING_MODELS, RETRIEVAL_MODEL)


def report_path(output_dir: str) -> str:
  """The HTML report `ytdnn run` writes when it ends."""
  return os.path.join(output_dir, 'report.html')


def split_dir(examples_uri: str, split: str) -> str:
  """A split's directory inside an Examples artifact, named as TFX names it."""
  return f'{examples_uri}/Split-{split}'


class NoRunOutputError(errors.YtdnnError, FileNotFoundError):
  """A run has no output of the kind asked for: it has not run that far."""


def latest_output(pipeline_root_dir: str, node_id: str, key: str) -> str:
  """The newest execution's directory of one node's output in a pipeline root.

  For tools that read a local run's files directly (the benchmarks, scoring
  and tests); the report reads ML Metadata instead, which also knows which
  run an artifact belongs to.
  """
  executions = glob.glob(os.path.join(pipeline_root_dir, node_id, key, '*'))
  if not executions:
    raise NoRunOutputError(
        f'no {node_id} {key} under {pipeline_root_dir}: run `ytdnn run` first')
  return max(executions, key=lambda path: int(os.path.basename(path)))


def latest_ingested_split(output_dir: str, split: str) -> str:
  """The newest ingested Examples' directory of a split in a run."""
  return split_dir(latest_output(pipeline_root(output_dir), INGESTION,
                                 'examples'), split)


# The key of the ranking Trainer's custom_config under which its executor
# (components/ranking_trainer.py) hands run_fn the impression lists' files.
IMPRESSION_FILES = 'impression_files'
