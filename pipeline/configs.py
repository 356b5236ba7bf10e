"""Every knob of the pipeline, with the defaults `ytdnn run` uses."""

import dataclasses
import os

from pipeline import features

PIPELINE_NAME = 'ytdnn'

# Split protocols, defined in BENCHMARKS.md: two for ranking, and `last1`,
# the retrieval protocol, which holds out each user's last rating.
RANDOM90 = 'random90'
TEMPORAL = 'temporal'
LAST1 = 'last1'
SPLIT_PROTOCOLS = (RANDOM90, TEMPORAL, LAST1)

TRAIN_SPLIT = 'train'
EVAL_SPLIT = 'eval'

# Dotted paths of the installed package's code, so the same code runs in a container.
PREPROCESSING_FN = 'transforms.preprocessing.preprocessing_fn'
RUN_FN = 'trainer_module.run_fn'

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'schema', 'schema.pbtxt')
SAMPLE_DATA_DIR = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), 'data', 'sample')

# Local runs keep Beam in one process: on 2 cores the multi-processing
# DirectRunner was slower and used more memory.
DEFAULT_BEAM_ARGS = ('--direct_running_mode=in_memory', '--direct_num_workers=1')


def pipeline_root(output_dir: str) -> str:
  """Where a run's artifacts live under its output directory."""
  return os.path.join(output_dir, 'tfx', 'pipeline_root')


def metadata_path(output_dir: str) -> str:
  """The run's SQLite ML Metadata store under its output directory."""
  return os.path.join(output_dir, 'tfx', 'metadata.sqlite')


def serving_model_dir(output_dir: str) -> str:
  """Where blessed ranking models are pushed, one version directory each."""
  return os.path.join(output_dir, 'serving_model', 'ranking')


def retrieval_serving_model_dir(output_dir: str) -> str:
  """Where blessed retrieval models are pushed, beside the ranking ones."""
  return os.path.join(output_dir, 'serving_model', 'retrieval')


@dataclasses.dataclass(frozen=True)
class IngestionConfig:
  """How raw ml-1m files become leakage-free CSV examples."""
  split_protocol: str = TEMPORAL
  history_length: int = 50
  max_reject_share: float = 0.001


@dataclasses.dataclass(frozen=True)
class ModelConfig:
  """Sizes and training schedule of the multitask ranking model."""
  movie_embedding_dim: int = 32
  user_embedding_dim: int = 16
  small_embedding_dim: int = 4
  hidden_units: tuple[int, ...] = (128, 64)
  dropout: float = 0.2
  l2: float = 2e-5
  learning_rate: float = 2e-3
  epochs: int = 6
  batch_size: int = 1024
  # The ingested CSV comes grouped by movie, so a small buffer would feed the
  # model one movie at a time; this one spans a quarter of ml-1m.
  shuffle_buffer_size: int = 250_000
  rating_loss_weight: float = 1.0
  stars_loss_weight: float = 0.5
  liked_loss_weight: float = 0.5

  def loss_weights(self) -> dict[str, float]:
    """Keras loss weights keyed by head name."""
    return {features.RATING_HEAD: self.rating_loss_weight,
            features.STARS_HEAD: self.stars_loss_weight,
            features.LIKED_HEAD: self.liked_loss_weight}

  def as_custom_config(self) -> dict:
    """The Trainer's `custom_config`: plain JSON-serializable values."""
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(self).items()}

  @classmethod
  def from_custom_config(cls, custom_config: dict) -> 'ModelConfig':
    """Inverse of as_custom_config, for the Trainer's run_fn."""
    values = dict(custom_config)
    values['hidden_units'] = tuple(values['hidden_units'])
    return cls(**values)


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
  """What a model must reach to be blessed and pushed."""
  max_rmse: float = 1.1
  min_liked_auc: float = 0.6
  max_rmse_increase: float = 0.01


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
  """Everything one `ytdnn run` needs."""
  data_dir: str
  output_dir: str
  ingestion: IngestionConfig = IngestionConfig()
  model: ModelConfig = ModelConfig()
  evaluation: EvaluationConfig = EvaluationConfig()
  beam_args: tuple[str, ...] = DEFAULT_BEAM_ARGS

  @property
  def pipeline_root(self) -> str:
    return pipeline_root(self.output_dir)

  @property
  def metadata_path(self) -> str:
    return metadata_path(self.output_dir)

  @property
  def serving_model_dir(self) -> str:
    return serving_model_dir(self.output_dir)
