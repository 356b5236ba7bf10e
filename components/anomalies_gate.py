"""Stops the pipeline before training when ExampleValidator found anomalies.

ExampleValidator only records anomalies; TFX trains on regardless. This gate
turns a non-empty anomalies report into a failed step, with a message naming
every anomalous feature and why, so nothing is trained or pushed on bad data.
"""

import os

from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import v1 as tfx
from tfx.dsl.io import fileio
from tfx.types import artifact_utils

from contract import errors
from contract import paths

ANOMALIES_FILE = 'SchemaDiff.pb'


class DataAnomaliesError(errors.YtdnnError, RuntimeError):
  """The examples break the curated schema."""


def describe_anomalies(split: str, anomalies: anomalies_pb2.Anomalies) -> list[str]:
  """One line per anomalous feature: split, feature, short and long reason."""
  lines = []
  for feature, info in sorted(anomalies.anomaly_info.items()):
    reasons = '; '.join(f'{r.short_description}: {r.description}'
                        for r in info.reason)
    lines.append(f'split {split!r}, feature {feature!r}: {reasons}')
  if anomalies.HasField('dataset_anomaly_info'):
    reasons = '; '.join(r.description
                        for r in anomalies.dataset_anomaly_info.reason)
    lines.append(f'split {split!r}, whole dataset: {reasons}')
  return lines


def read_anomalies(uri: str,
                   split_names: str) -> dict[str, anomalies_pb2.Anomalies]:
  """The anomalies report of every split of an ExampleAnomalies artifact.

  Takes the artifact's URI and its `split_names` property, so the gate (a
  TFX Artifact) and the report (an ML Metadata record) read it the same way.
  """
  reports = {}
  for split in artifact_utils.decode_split_names(split_names):
    path = os.path.join(paths.split_dir(uri, split), ANOMALIES_FILE)
    with fileio.open(path, 'rb') as f:
      reports[split] = anomalies_pb2.Anomalies.FromString(f.read())
  return reports


def check_anomalies(
    anomalies: tfx.types.standard_artifacts.ExampleAnomalies) -> None:
  """Raises DataAnomaliesError listing every anomaly of every split."""
  problems = [line for split, report in read_anomalies(
      anomalies.uri, anomalies.split_names).items()
              for line in describe_anomalies(split, report)]
  if problems:
    raise DataAnomaliesError(
        'ExampleValidator found anomalies, so the pipeline stops before '
        'training:\n  ' + '\n  '.join(problems))


@tfx.dsl.components.component
def ExampleAnomaliesGate(  # pylint: disable=invalid-name
    anomalies: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.ExampleAnomalies]) -> None:
  """Fails the pipeline run when the examples break the schema."""
  check_anomalies(anomalies)
