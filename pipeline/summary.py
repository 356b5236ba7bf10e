"""The closing summary of a run, read back from ML Metadata."""

import dataclasses

import ml_metadata as mlmd
import tensorflow_model_analysis as tfma
from ml_metadata.proto import metadata_store_pb2

BLESSING_TYPE = 'ModelBlessing'
EVALUATION_TYPE = 'ModelEvaluation'
PUSHED_MODEL_TYPE = 'PushedModel'


@dataclasses.dataclass(frozen=True)
class RunSummary:
  """What a user wants to know when a run ends."""
  blessed: bool
  metrics: dict[str, float]
  # Change of each metric against the last blessed model, when there was one.
  changes: dict[str, float]
  pushed_model: str | None


def _latest(store: mlmd.MetadataStore,
            type_name: str) -> metadata_store_pb2.Artifact | None:
  """The newest live artifact of a type; cached steps reuse older artifacts."""
  artifacts = [a for a in store.get_artifacts_by_type(type_name)
               if a.state == metadata_store_pb2.Artifact.LIVE]
  return max(artifacts, key=lambda a: a.id, default=None)


DIFF_SUFFIX = '_diff'


def _overall_metrics(evaluation_uri: str) -> dict[str, float]:
  """Overall-slice metrics as `head/metric` -> value (TFMA's `_diff` included)."""
  result = tfma.load_eval_result(evaluation_uri)
  metrics = {}
  for slice_key, by_output in result.slicing_metrics:
    if slice_key:
      continue
    for output, by_sub_key in by_output.items():
      for values in by_sub_key.values():
        for name, value in values.items():
          if 'doubleValue' in value:
            metrics[f'{output}/{name}' if output else name] = value[
                'doubleValue']
  return metrics


def read_summary(metadata_path: str) -> RunSummary:
  """The latest blessing, evaluation metrics and push of a SQLite store."""
  config = metadata_store_pb2.ConnectionConfig()
  config.sqlite.filename_uri = metadata_path
  config.sqlite.connection_mode = (
      metadata_store_pb2.SqliteMetadataSourceConfig.READONLY)
  store = mlmd.MetadataStore(config)
  blessing = _latest(store, BLESSING_TYPE)
  evaluation = _latest(store, EVALUATION_TYPE)
  pushed = _latest(store, PUSHED_MODEL_TYPE)
  pushed_model = None
  if pushed is not None and pushed.custom_properties['pushed'].int_value:
    pushed_model = pushed.custom_properties['pushed_destination'].string_value
  metrics = _overall_metrics(evaluation.uri) if evaluation else {}
  return RunSummary(
      blessed=bool(blessing and
                   blessing.custom_properties['blessed'].int_value),
      metrics={name: value for name, value in metrics.items()
               if not name.endswith(DIFF_SUFFIX)},
      changes={name.removesuffix(DIFF_SUFFIX): value
               for name, value in metrics.items()
               if name.endswith(DIFF_SUFFIX)},
      pushed_model=pushed_model)


def format_summary(summary: RunSummary) -> str:
  """Lines for the terminal."""
  lines = ['Model blessed: ' + ('yes' if summary.blessed else 'no')]
  for name, value in sorted(summary.metrics.items()):
    line = f'  {name:<36} {value:10.4f}'
    if name in summary.changes:
      line += f'  ({summary.changes[name]:+.4f} vs last blessed model)'
    lines.append(line)
  lines.append('Pushed model: ' + (summary.pushed_model or
                                   'none (not blessed, nothing pushed)'))
  return '\n'.join(lines)
