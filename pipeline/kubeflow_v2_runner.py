"""Compiles the pipeline for self-hosted Kubeflow Pipelines 2.x or Vertex AI.

The same `create_pipeline` as the local runner, written out as a pipeline spec
(schema 2.1.0, the only one the self-hosted API server accepts:
backend/src/apiserver/template/v2_template.go) that the platform runs step by
step in `image` (see the Dockerfile). The two targets differ in one thing:
on `kubeflow` every step starts through pipeline/kfp_executor.py, which
repairs what the self-hosted launcher hands TFX. The platform provides ML
Metadata, so no connection config is set.
"""

import os
import posixpath
from typing import Sequence

from tfx import v1 as tfx
from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner

from components import curated_schema
from components.ingestion.ingestion_config import IngestionConfig
from contract import formats
from contract import paths
from models import hyperparameters
from pipeline import configs
from pipeline import pipeline

# The spec names files as the container sees them: the Dockerfile copies the
# sources to /ytdnn, so the curated schema is here inside the image.
IMAGE_SCHEMA_PATH = '/ytdnn/contract/schema.pbtxt'

KUBEFLOW = 'kubeflow'
VERTEX = 'vertex'
TARGETS = (KUBEFLOW, VERTEX)
# Each target's step command: Vertex AI runs TFX's own entry point.
TARGET_COMMANDS = {
    KUBEFLOW: ['python', '-m', 'pipeline.kfp_executor'],
    VERTEX: list(kubeflow_v2_dag_runner.KUBEFLOW_TFX_CMD),
}


def default_serving_models_dir(pipeline_root: str) -> str:
  """Pushed models go under the pipeline root unless told otherwise."""
  return posixpath.join(pipeline_root, paths.SERVING_MODELS)


def compile_pipeline(
    output_file: str,
    pipeline_root: str,
    data_dir: str,
    image: str,
    beam_args: Sequence[str],
    target: str = VERTEX,
    data_format: str = formats.ML_1M.name,
    serving_models_dir: str | None = None,
    schema_path: str = IMAGE_SCHEMA_PATH,
    ingestion_config: IngestionConfig = IngestionConfig(),
    model_config: hyperparameters.ModelConfig = hyperparameters.ModelConfig(),
    retrieval_config: hyperparameters.RetrievalConfig = hyperparameters.RetrievalConfig(),
    evaluation_config: configs.EvaluationConfig = configs.EvaluationConfig(),
    vertex_training: configs.VertexTraining | None = None,
) -> str:
  """Writes the pipeline spec to `output_file` and returns its path.

  A `.json` file is a PipelineJob (the spec plus the pipeline root as its
  runtime config), as Vertex AI takes it; a `.yaml` file is the bare
  PipelineSpec, as the kfp client uploads it (give the pipeline root when
  submitting). Every path is read inside the platform's containers, so
  `pipeline_root`, `data_dir` and `serving_models_dir` must be URIs those
  containers can reach (gs://, s3://), not paths on this machine, so the
  files' `data_format` (contract/formats.py) is given rather than
  recognized. Models are pushed to `serving_models_dir`/ranking and
  /retrieval. `vertex_training` (target vertex only) trains each Trainer on
  a Vertex AI worker pool.
  """
  if target not in TARGETS:
    raise ValueError(f'unknown target {target!r}; expected one of {TARGETS}')
  if vertex_training and target != VERTEX:
    raise ValueError('worker pools are Vertex AI training jobs: compile '
                     f'them for the {VERTEX} target, not {target!r}')
  models_dir = serving_models_dir or default_serving_models_dir(pipeline_root)
  runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
      config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
          default_image=image, default_commands=TARGET_COMMANDS[target],
          use_pipeline_spec_2_1=True),
      output_dir=os.path.dirname(output_file) or None,
      output_filename=os.path.basename(output_file))
  runner.run(pipeline.create_pipeline(
      pipeline_name=configs.PIPELINE_NAME,
      pipeline_root=pipeline_root,
      data_dir=data_dir,
      data_format=formats.by_name(data_format).name,
      schema_path=schema_path,
      serving_model_dir=posixpath.join(models_dir, paths.RANKING_MODEL),
      retrieval_serving_model_dir=posixpath.join(models_dir,
                                                 paths.RETRIEVAL_MODEL),
      ingestion_config=ingestion_config,
      model_config=model_config,
      retrieval_config=retrieval_config,
      evaluation_config=evaluation_config,
      preprocessing_fn=configs.PREPROCESSING_FN,
      run_fn=configs.RUN_FN,
      retrieval_run_fn=configs.RETRIEVAL_RUN_FN,
      beam_pipeline_args=list(beam_args),
      metadata_connection_config=None,
      # The image holds this checkout's schema: the same content.
      schema_fingerprint=curated_schema.content_fingerprint(
          paths.SCHEMA_PATH),
      vertex_training=vertex_training,
  ))
  return output_file
