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
RETRIEVAL_RUN_FN = 'retrieval_trainer_module.run_fn'

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), 'schema', 'schema.pbtxt')
SAMPLE_DATA_DIR = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), 'data', 'sample')

# Local runs keep Beam in one process to save memory: on full ml-1m with 2
# cores, multi-processing with 2 workers was faster (471 s against 619 s) but
# peaked at 7.84 GB RSS against 4.78 GB (docs/benchmarks.md).
DEFAULT_BEAM_ARGS = ('--direct_running_mode=in_memory', '--direct_num_workers=1')

# Fixed lower bounds of the evaluation's user-activity and movie-popularity
# slices (after the implicit 0), applied to the leak-free earlier-rating counts.
# Fixed rather than learned from the data, so a slice means the same in every
# run and nothing about the eval split shapes it.
USER_ACTIVITY_BOUNDARIES = (10, 50, 200)
MOVIE_POPULARITY_BOUNDARIES = (10, 100, 1000)


def pipeline_root(output_dir: str) -> str:
  """Where a run's artifacts live under its output directory."""
  return os.path.join(output_dir, 'tfx', 'pipeline_root')


def metadata_path(output_dir: str) -> str:
  """The run's SQLite ML Metadata store under its output directory."""
  return os.path.join(output_dir, 'tfx', 'metadata.sqlite')


# Pushed models: one TF Serving base directory per model under `serving_model/`.
SERVING_MODELS = 'serving_model'
RANKING_MODEL = 'ranking'
RETRIEVAL_MODEL = 'retrieval'


def serving_model_dir(output_dir: str) -> str:
  """Where blessed ranking models are pushed, one version directory each."""
  return os.path.join(output_dir, SERVING_MODELS, RANKING_MODEL)


def report_path(output_dir: str) -> str:
  """The HTML report `ytdnn run` writes when it ends."""
  return os.path.join(output_dir, 'report.html')


def retrieval_serving_model_dir(output_dir: str) -> str:
  """Where blessed retrieval models are pushed, beside the ranking ones."""
  return os.path.join(output_dir, SERVING_MODELS, RETRIEVAL_MODEL)


@dataclasses.dataclass(frozen=True)
class IngestionConfig:
  """How raw ml-1m files become leakage-free examples."""
  split_protocol: str = TEMPORAL
  history_length: int = 50
  max_reject_share: float = 0.001


class TrainerCustomConfig:
  """A model config that travels to its Trainer as JSON `custom_config`."""

  def as_custom_config(self) -> dict:
    """Plain JSON-serializable values: tuples become lists."""
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(self).items()}

  @classmethod
  def from_custom_config(cls, custom_config: dict):
    """Inverse of as_custom_config, for a Trainer's run_fn."""
    return cls(**{k: tuple(v) if isinstance(v, list) else v
                  for k, v in custom_config.items()})

  @classmethod
  def with_overrides(cls, overrides: dict):
    """The defaults with some fields replaced by JSON values, for experiments."""
    return cls.from_custom_config({**cls().as_custom_config(), **overrides})


@dataclasses.dataclass(frozen=True)
class ModelConfig(TrainerCustomConfig):
  """Sizes and training schedule of the multitask ranking model."""
  movie_embedding_dim: int = 32
  user_embedding_dim: int = 16
  small_embedding_dim: int = 4
  hidden_units: tuple[int, ...] = (128, 64)
  # One pooled history vector per decay, as in RetrievalConfig.
  history_decays: tuple[float, ...] = (1.0,)
  newest_movies: int = 0
  # Whether the user side also reads the ratings of the history movies.
  use_history_ratings: bool = True
  # Chosen on a carve-out of the train split (docs/benchmarks.md): with the
  # history's ratings, more regularization and 9 epochs did best.
  dropout: float = 0.3
  l2: float = 5e-5
  learning_rate: float = 2e-3
  epochs: int = 9
  # Doubling it cut the model's CPU time per example by only 17% on ml-1m
  # (34 against 28 us); every epoch sees the whole split in a new random
  # order (trainer_module.shuffled_batches).
  batch_size: int = 1024
  rating_loss_weight: float = 1.0
  stars_loss_weight: float = 0.5
  liked_loss_weight: float = 0.5

  def loss_weights(self) -> dict[str, float]:
    """Keras loss weights keyed by head name."""
    return {features.RATING_HEAD: self.rating_loss_weight,
            features.STARS_HEAD: self.stars_loss_weight,
            features.LIKED_HEAD: self.liked_loss_weight}


@dataclasses.dataclass(frozen=True)
class RetrievalConfig(TrainerCustomConfig):
  """Sizes and training schedule of the candidate generation model."""
  movie_embedding_dim: int = 64
  small_embedding_dim: int = 4
  hidden_units: tuple[int, ...] = (256,)
  user_vector_dim: int = 64
  # One pooled history vector per decay: the movie k places before the newest
  # weighs decay**k. 1.0 is the paper's plain mean and 0.0 the newest movie
  # alone; recency matters on ml-1m, whose users rated in batches.
  history_decays: tuple[float, ...] = (1.0, 0.5)
  # The embeddings of this many newest history movies, each in its own slot.
  newest_movies: int = 3
  l2: float = 1e-6
  learning_rate: float = 2e-3
  # At most this many epochs: training stops when the full-softmax loss on a
  # carve-out of the train split (1 example in validation_modulus) has not
  # improved for early_stopping_patience epochs, and keeps the best epoch's
  # weights. On ml-1m carve-out HR@10 peaked at epoch 8; the small synthetic
  # sample overfits after one or two.
  epochs: int = 10
  validation_modulus: int = 100
  early_stopping_patience: int = 2
  batch_size: int = 1024
  # Negatives per batch for the sampled softmax over the movie corpus.
  num_sampled: int = 1000
  # Movies the pushed model returns per request: the ranking model's candidates.
  top_k: int = 300


@dataclasses.dataclass(frozen=True)
class EvaluationConfig:
  """What a model must reach to be blessed and pushed."""
  max_rmse: float = 1.1
  min_liked_auc: float = 0.6
  max_rmse_increase: float = 0.01
  # The retrieval model is pushed when its HR@50 is at least popularity's
  # (movies ranked by train count) plus this. Negative: a broken model ranks
  # near random, far below popularity, while on the small synthetic sample,
  # whose users mostly pick popular movies, the model trails popularity by
  # about 0.05. On ml-1m it is far above popularity (docs/benchmarks.md).
  min_retrieval_hr_gain_over_popularity: float = -0.1


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
  """Everything one `ytdnn run` needs."""
  data_dir: str
  output_dir: str
  ingestion: IngestionConfig = IngestionConfig()
  model: ModelConfig = ModelConfig()
  retrieval: RetrievalConfig = RetrievalConfig()
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

  @property
  def retrieval_serving_model_dir(self) -> str:
    return retrieval_serving_model_dir(self.output_dir)
