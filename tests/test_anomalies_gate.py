"""The gate that stops the pipeline when ExampleValidator found anomalies."""

import os

import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx.types import artifact_utils
from tfx.types import standard_artifacts

from components import anomalies_gate


def _anomalies_artifact(tmp_path, reports: dict[str, anomalies_pb2.Anomalies]):
  artifact = standard_artifacts.ExampleAnomalies()
  artifact.uri = str(tmp_path)
  artifact.split_names = artifact_utils.encode_split_names(list(reports))
  for split, report in reports.items():
    split_dir = os.path.join(str(tmp_path), f'Split-{split}')
    os.makedirs(split_dir)
    with open(os.path.join(split_dir, anomalies_gate.ANOMALIES_FILE), 'wb') as f:
      f.write(report.SerializeToString())
  return artifact


def _out_of_range_rating() -> anomalies_pb2.Anomalies:
  report = anomalies_pb2.Anomalies()
  info = report.anomaly_info['rating']
  info.reason.add(short_description='Out-of-range values',
                  description='Unexpectedly large value: 6.')
  return report


def test_clean_reports_pass(tmp_path):
  artifact = _anomalies_artifact(
      tmp_path, {'train': anomalies_pb2.Anomalies(),
                 'eval': anomalies_pb2.Anomalies()})
  anomalies_gate.check_anomalies(artifact)


def test_anomalies_fail_naming_split_feature_and_reason(tmp_path):
  artifact = _anomalies_artifact(
      tmp_path, {'train': anomalies_pb2.Anomalies(),
                 'eval': _out_of_range_rating()})
  with pytest.raises(anomalies_gate.DataAnomaliesError) as error:
    anomalies_gate.check_anomalies(artifact)
  message = str(error.value)
  assert "split 'eval', feature 'rating'" in message
  assert 'Unexpectedly large value: 6.' in message
  assert "'train'" not in message
