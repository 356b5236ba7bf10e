"""MovieLensIngestion: the TFX component that turns ml-1m into CSV examples."""

from tfx import types
from tfx.dsl.components.base import base_beam_component
from tfx.dsl.components.base import executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter
from tfx.types.component_spec import ExecutionParameter

from components.ingestion import executor
from pipeline import configs

_DEFAULTS = configs.IngestionConfig()


class IngestedRatings(types.Artifact):
  """Directory with train/ and eval/ CSV files, rejects/ and report.json."""
  # KFP V2 wants '<namespace>.<Name>' and its container imports the class
  # by that path, hence the re-export in components/__init__.py.
  TYPE_NAME = 'components.IngestedRatings'


class MovieLensIngestionSpec(types.ComponentSpec):
  """Parameters and outputs of MovieLensIngestion."""
  PARAMETERS = {
      executor.DATA_DIR_KEY: ExecutionParameter(type=str),
      executor.SPLIT_PROTOCOL_KEY: ExecutionParameter(type=str),
      executor.HISTORY_LENGTH_KEY: ExecutionParameter(type=int),
      executor.MAX_REJECT_SHARE_KEY: ExecutionParameter(type=float),
      # Read by nobody: it is here so that changed files change the cache key.
      executor.DATA_FINGERPRINT_KEY: ExecutionParameter(type=str,
                                                        optional=True),
  }
  INPUTS = {}
  OUTPUTS = {
      executor.INGESTED_KEY: ChannelParameter(type=IngestedRatings),
      # The URI of `ingested` as a value artifact, so CsvExampleGen can take
      # it as a dynamic `input_base` (`.future()[0].value`), which compiles
      # for the local runner and for Kubeflow V2 alike.
      executor.CSV_DIR_KEY: ChannelParameter(type=standard_artifacts.String),
  }


class MovieLensIngestion(base_beam_component.BaseBeamComponent):
  """Validates raw ml-1m files and writes leakage-free train/eval CSV examples.

  Its Beam job runs on whatever runner the pipeline's beam_pipeline_args name,
  so the same component ingests locally and on a distributed runner.
  """

  SPEC_CLASS = MovieLensIngestionSpec
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

  def __init__(self, data_dir: str,
               split_protocol: str = _DEFAULTS.split_protocol,
               history_length: int = _DEFAULTS.history_length,
               max_reject_share: float = _DEFAULTS.max_reject_share,
               data_fingerprint: str = ''):
    """`data_fingerprint` (input_files.fingerprint) makes a rerun ingest again
    when the files changed; without it the cache key is the directory path."""
    executor.check_parameters(split_protocol, history_length, max_reject_share)
    super().__init__(spec=MovieLensIngestionSpec(
        data_dir=data_dir,
        data_fingerprint=data_fingerprint,
        split_protocol=split_protocol,
        history_length=history_length,
        max_reject_share=max_reject_share,
        ingested=types.Channel(type=IngestedRatings),
        csv_dir=types.Channel(type=standard_artifacts.String),
    ))
