"""Runs the pipeline here: local Beam, SQLite ML Metadata, caching on."""

import os

from tfx import v1 as tfx

from components import curated_schema
from components.ingestion import input_files
from contract import paths
from pipeline import configs
from pipeline import pipeline


def run(config: configs.PipelineConfig) -> None:
  """Runs every component in order; raises the first component's failure."""
  os.makedirs(os.path.dirname(config.metadata_path), exist_ok=True)
  tfx.orchestration.LocalDagRunner().run(pipeline.create_pipeline(
      pipeline_name=configs.PIPELINE_NAME,
      pipeline_root=config.pipeline_root,
      data_dir=config.data_dir,
      data_format=input_files.recognize_format(config.data_dir).name,
      schema_path=paths.SCHEMA_PATH,
      serving_model_dir=config.serving_model_dir,
      retrieval_serving_model_dir=config.retrieval_serving_model_dir,
      ingestion_config=config.ingestion,
      model_config=config.model,
      retrieval_config=config.retrieval,
      evaluation_config=config.evaluation,
      preprocessing_fn=configs.PREPROCESSING_FN,
      run_fn=configs.RUN_FN,
      retrieval_run_fn=configs.RETRIEVAL_RUN_FN,
      beam_pipeline_args=list(config.beam_args),
      data_fingerprint=input_files.fingerprint(config.data_dir),
      schema_fingerprint=curated_schema.content_fingerprint(
          paths.SCHEMA_PATH),
      metadata_connection_config=(
          tfx.orchestration.metadata.sqlite_metadata_connection_config(
              config.metadata_path)),
  ))
