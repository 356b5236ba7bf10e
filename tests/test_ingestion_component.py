"""Tests for components/ingestion/component.py: the spec the pipeline wires."""

import pytest
from tfx.dsl.components.base import base_beam_component
from tfx.types import channel
from tfx.types import standard_artifacts

from components.ingestion import component
from components.ingestion import executor
from components.ingestion import ingestion_config
from contract import formats
from contract import splits


def _schema() -> channel.Channel:
  return channel.Channel(type=standard_artifacts.Schema)


def test_spec_holds_the_parameters():
  ingestion = component.MovieLensIngestion(
      data_dir='gs://bucket/ml-1m', data_format='ml-1m', schema=_schema(),
      split_protocol=splits.RANDOM90, history_length=20, raters_length=10,
      max_reject_share=0.01, data_fingerprint='ratings.dat:10:1')
  assert isinstance(ingestion, base_beam_component.BaseBeamComponent)
  assert ingestion.exec_properties == {
      'data_dir': 'gs://bucket/ml-1m', 'data_format': 'ml-1m',
      'split_protocol': 'random90',
      'history_length': 20, 'raters_length': 10, 'max_reject_share': 0.01,
      'data_fingerprint': 'ratings.dat:10:1'}
  assert ingestion.executor_spec.executor_class is executor.Executor


def test_defaults_come_from_the_ingestion_config():
  ingestion = component.MovieLensIngestion(data_dir='/data', data_format='ml-1m', schema=_schema())
  defaults = ingestion_config.IngestionConfig()
  assert ingestion.exec_properties['split_protocol'] == defaults.split_protocol
  assert ingestion.exec_properties['history_length'] == defaults.history_length
  assert ingestion.exec_properties['raters_length'] == defaults.raters_length
  assert ingestion.exec_properties['max_reject_share'] == (
      defaults.max_reject_share)


def test_outputs_are_examples_and_the_report_and_the_schema_types_them():
  ingestion = component.MovieLensIngestion(data_dir='/data', data_format='ml-1m', schema=_schema())
  assert set(ingestion.outputs) == {'examples', 'report'}
  assert ingestion.outputs['examples'].type is standard_artifacts.Examples
  assert ingestion.outputs['report'].type is component.IngestionReport
  assert component.IngestionReport.TYPE_NAME == 'components.IngestionReport'
  assert ingestion.inputs['schema'].type is standard_artifacts.Schema


@pytest.mark.parametrize('parameters, message', [
    ({'split_protocol': 'random50'}, 'split_protocol'),
    ({'history_length': 0}, 'history_length'),
    ({'raters_length': 0}, 'raters_length'),
    ({'max_reject_share': -0.1}, 'max_reject_share'),
    ({'max_reject_share': 1.5}, 'max_reject_share'),
])
def test_bad_parameters_fail_at_definition(parameters, message):
  with pytest.raises(ValueError, match=message):
    component.MovieLensIngestion(data_dir='/data', data_format='ml-1m', schema=_schema(),
                                 **parameters)
