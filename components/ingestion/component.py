"""MovieLensIngestion: the TFX component that turns MovieLens files into Examples."""

from tfx import types
from tfx.dsl.components.base import base_beam_component
from tfx.dsl.components.base import executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter
from tfx.types.component_spec import ExecutionParameter

from components.ingestion import executor
from components.ingestion import ingestion_config
from contract import formats

_DEFAULTS = ingestion_config.IngestionConfig()


class IngestionReport(types.Artifact):
  """Directory with the rejected lines (rejects/) and the counts (report.json)."""
  # KFP V2 wants '<namespace>.<Name>' and its container imports the class
  # by that path, hence the re-export in components/__init__.py.
  TYPE_NAME = 'components.IngestionReport'


class MovieLensIngestionSpec(types.ComponentSpec):
  """Parameters, inputs and outputs of MovieLensIngestion."""
  PARAMETERS = {
      executor.DATA_DIR_KEY: ExecutionParameter(type=str),
      # A contract/formats.py name: the format the schema was curated for.
      executor.DATA_FORMAT_KEY: ExecutionParameter(type=str),
      executor.SPLIT_PROTOCOL_KEY: ExecutionParameter(type=str),
      executor.HISTORY_LENGTH_KEY: ExecutionParameter(type=int),
      executor.RATERS_LENGTH_KEY: ExecutionParameter(type=int),
      executor.MAX_REJECT_SHARE_KEY: ExecutionParameter(type=float),
      # Read by nobody: it is here so that changed files change the cache key.
      executor.DATA_FINGERPRINT_KEY: ExecutionParameter(type=str,
                                                        optional=True),
  }
  INPUTS = {
      # The curated schema types every feature of the examples written.
      executor.SCHEMA_KEY: ChannelParameter(type=standard_artifacts.Schema),
  }
  OUTPUTS = {
      executor.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
      executor.REPORT_KEY: ChannelParameter(type=IngestionReport),
  }


class MovieLensIngestion(base_beam_component.BaseBeamComponent):
  """Validates raw MovieLens files and writes leakage-free train/eval Examples.

  Its output is the Examples artifact ExampleGen would write, so StatisticsGen,
  Transform, the Trainers and the Evaluator read it directly. Its Beam job runs
  on whatever runner the pipeline's beam_pipeline_args name, so the same
  component ingests locally and on a distributed runner.
  """

  SPEC_CLASS = MovieLensIngestionSpec
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

  def __init__(self, data_dir: str, data_format: str,
               schema: types.BaseChannel,
               split_protocol: str = _DEFAULTS.split_protocol,
               history_length: int = _DEFAULTS.history_length,
               raters_length: int = _DEFAULTS.raters_length,
               max_reject_share: float = _DEFAULTS.max_reject_share,
               data_fingerprint: str = ''):
    """`data_fingerprint` (input_files.fingerprint) makes a rerun ingest again
    when the files changed; without it the cache key is the directory path."""
    executor.check_parameters(split_protocol, history_length, raters_length,
                              max_reject_share)
    super().__init__(spec=MovieLensIngestionSpec(
        data_dir=data_dir,
        data_format=formats.by_name(data_format).name,
        data_fingerprint=data_fingerprint,
        split_protocol=split_protocol,
        history_length=history_length,
        raters_length=raters_length,
        max_reject_share=max_reject_share,
        schema=schema,
        examples=types.Channel(type=standard_artifacts.Examples),
        report=types.Channel(type=IngestionReport),
    ))
