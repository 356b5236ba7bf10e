"""Tests for components/ingestion/component.py: the spec the pipeline wires."""

import pytest
from tfx.dsl.components.base import base_beam_component
from tfx.types import standard_artifacts

from components.ingestion import component
from components.ingestion import executor
from pipeline import configs


def test_spec_holds_the_parameters():
  ingestion = component.MovieLensIngestion(
      data_dir='gs://bucket/ml-1m', split_protocol=configs.RANDOM90,
      history_length=20, max_reject_share=0.01,
      data_fingerprint='ratings.dat:10:1')
  assert isinstance(ingestion, base_beam_component.BaseBeamComponent)
  assert ingestion.exec_properties == {
      'data_dir': 'gs://bucket/ml-1m', 'split_protocol': 'random90',
      'history_length': 20, 'max_reject_share': 0.01,
      'data_fingerprint': 'ratings.dat:10:1'}
  assert ingestion.executor_spec.executor_class is executor.Executor


def test_defaults_come_from_the_ingestion_config():
  ingestion = component.MovieLensIngestion(data_dir='/data')
  defaults = configs.IngestionConfig()
  assert ingestion.exec_properties['split_protocol'] == defaults.split_protocol
  assert ingestion.exec_properties['history_length'] == defaults.history_length
  assert ingestion.exec_properties['max_reject_share'] == (
      defaults.max_reject_share)


def test_outputs_are_the_ingested_directory_and_its_uri_as_a_value():
  ingestion = component.MovieLensIngestion(data_dir='/data')
  assert set(ingestion.outputs) == {'ingested', 'csv_dir'}
  assert ingestion.outputs['ingested'].type is component.IngestedRatings
  assert component.IngestedRatings.TYPE_NAME == 'components.IngestedRatings'
  assert ingestion.outputs['csv_dir'].type is standard_artifacts.String
  assert ingestion.outputs['csv_dir'].future()[0].value is not None


@pytest.mark.parametrize('parameters, message', [
    ({'split_protocol': 'random50'}, 'split_protocol'),
    ({'history_length': 0}, 'history_length'),
    ({'max_reject_share': -0.1}, 'max_reject_share'),
    ({'max_reject_share': 1.5}, 'max_reject_share'),
])
def test_bad_parameters_fail_at_definition(parameters, message):
  with pytest.raises(ValueError, match=message):
    component.MovieLensIngestion(data_dir='/data', **parameters)
