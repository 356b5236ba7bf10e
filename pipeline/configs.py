"""Every knob of the pipeline, with the defaults `ytdnn run` uses.

Model code never imports this module: the pipeline reaches the Transform and
Trainer code only through the dotted paths below, as TFX's taxi template does,
and hands the Trainers their hyperparameters (and the ingestion's lengths) as
JSON `custom_config`.
"""

import dataclasses

from tfx.extensions.google_cloud_ai_platform import constants as vertex_constants
from tfx.extensions.google_cloud_ai_platform.trainer import executor as vertex_trainer

from components.ingestion.ingestion_config import IngestionConfig
from contract import paths
from contract import splits
from models.hyperparameters import ModelConfig
from models.hyperparameters import RetrievalConfig

PIPELINE_NAME = 'ytdnn'

# Dotted paths of the installed package's code, so the same code runs in a container.
PREPROCESSING_FN = 'transforms.preprocessing.preprocessing_fn'
RUN_FN = 'trainer_module.run_fn'
RETRIEVAL_RUN_FN = 'retrieval_trainer_module.run_fn'

# None: Beam's own defaults, the DirectRunner in memory in one process. That
# saves memory: on full ml-1m with 2 cores, multi-processing with 2 workers
# was faster (471 s against 619 s) but peaked at 7.84 GB RSS against 4.78 GB
# (docs/benchmarks.md). Spelling those defaults out as arguments would cost
# time: TFX's Beam executors, given any Beam argument but a dependency flag,
# copy the installed TFX (49 MB) and build a source package of it for remote
# workers, at every step, and leave it in the temp directory.
DEFAULT_BEAM_ARGS: tuple[str, ...] = ()


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
  # The ranking model is pushed when retrieve -> rank scores NDCG@10 at
  # least this much above retrieval alone on the eval targets
  # (components/two_stage_evaluator.py): never worse.
  min_two_stage_ndcg_gain: float = 0.0


@dataclasses.dataclass(frozen=True)
class VertexTraining:
  """The three Trainers as Vertex AI CustomJobs of `workers` replicas each.

  Pool 0 holds the chief, pool 1 the other workers; Vertex sets TF_CONFIG in
  each, and the run_fns train under MultiWorkerMirroredStrategy
  (models/distribution.py). Every replica runs `image`.
  """
  project: str
  region: str
  image: str
  workers: int
  machine_type: str = 'n1-standard-8'

  def __post_init__(self):
    if self.workers < 2:
      raise ValueError(f'a worker pool needs at least 2 workers, got '
                       f'{self.workers}')

  def custom_config(self) -> dict:
    """The Trainers' custom_config keys TFX's Vertex Trainer executor reads."""
    def pool(replicas: int) -> dict:
      return {'machine_spec': {'machine_type': self.machine_type},
              'replica_count': replicas,
              'container_spec': {'image_uri': self.image}}

    return {
        vertex_constants.ENABLE_VERTEX_KEY: True,
        vertex_constants.VERTEX_REGION_KEY: self.region,
        vertex_trainer.TRAINING_ARGS_KEY: {
            'project': self.project,
            'worker_pool_specs': [pool(1), pool(self.workers - 1)]},
    }


# At most this many epochs for the impression retriever. On the last1
# carve-out (benchmarks/rerank_probe.py, the same served retriever) the
# ranking stage learned as well from the lists of a retriever of 2 epochs
# as of 3: HR@10 0.3755 / 0.3765, NDCG@10 0.2221 / 0.2220, HR@50
# 0.6361 / 0.6374 (results/rerank_probe_last1_impression_epochs.json), and
# the third epoch cost 41 of the stage's 184-second budget (the Trainer took
# 117.5 s, against 76.5 s with 2, in full ml-1m last1 runs alone).
IMPRESSION_RETRIEVAL_EPOCHS = 2


def impression_retrieval_config(retrieval: RetrievalConfig) -> RetrievalConfig:
  """The retrieval model's settings, less each user's newest train ratings."""
  return dataclasses.replace(
      retrieval, held_out_newest=splits.IMPRESSION_POSITIONS,
      epochs=min(retrieval.epochs, IMPRESSION_RETRIEVAL_EPOCHS))


@dataclasses.dataclass(frozen=True)
class Preset:
  """The two models' settings for one kind of run."""
  model: ModelConfig
  retrieval: RetrievalConfig


FULL = 'full'
QUICK = 'quick'
PRESETS = {
    # The benchmark's models: five ranking members and I-AutoRec blended.
    FULL: Preset(ModelConfig(), RetrievalConfig()),
    # For iterating on a feature: one ranking member and fewer epochs of
    # both models (docs/benchmarks.md states the trade). I-AutoRec stays: on
    # the temporal carve-out one member of 6 epochs scored RMSE 0.8671 and
    # AUC(liked) 0.8199 alone, 0.8411 and 0.8297 blended with it.
    QUICK: Preset(
        ModelConfig(ensemble_size=1, epochs=6),
        RetrievalConfig(epochs=3)),
}
DEFAULT_PRESET = FULL


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
    return paths.pipeline_root(self.output_dir)

  @property
  def metadata_path(self) -> str:
    return paths.metadata_path(self.output_dir)

  @property
  def serving_model_dir(self) -> str:
    return paths.serving_model_dir(self.output_dir)

  @property
  def retrieval_serving_model_dir(self) -> str:
    return paths.retrieval_serving_model_dir(self.output_dir)
