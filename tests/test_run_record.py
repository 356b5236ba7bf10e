"""A run's artifacts as ML Metadata records them, on a store built by hand."""

import ml_metadata as mlmd
import pytest
from ml_metadata.proto import metadata_store_pb2

from reporting import run_record


def _store(path: str) -> mlmd.MetadataStore:
  config = metadata_store_pb2.ConnectionConfig()
  config.sqlite.filename_uri = path
  return mlmd.MetadataStore(config)


def _record_execution(store, run_context, node_context, state, inputs,
                      outputs) -> None:
  """An execution of a node in a run, with its events, as TFX records them."""
  execution_type = store.put_execution_type(
      metadata_store_pb2.ExecutionType(name='component'))
  execution = metadata_store_pb2.Execution(type_id=execution_type,
                                           last_known_state=state)
  (execution_id,) = store.put_executions([execution])
  events = []
  for event_type, artifacts in ((metadata_store_pb2.Event.INPUT, inputs),
                                (metadata_store_pb2.Event.OUTPUT, outputs)):
    for key, artifact_id in artifacts.items():
      event = metadata_store_pb2.Event(
          type=event_type, artifact_id=artifact_id, execution_id=execution_id)
      event.path.steps.add().key = key
      events.append(event)
  store.put_attributions_and_associations(
      [], [metadata_store_pb2.Association(context_id=context,
                                          execution_id=execution_id)
           for context in (run_context, node_context)])
  store.put_events(events)


@pytest.fixture
def metadata_path(tmp_path) -> str:
  """Two runs: the second reuses the first's statistics (cached)."""
  path = str(tmp_path / 'metadata.sqlite')
  store = _store(path)
  artifact_type = store.put_artifact_type(
      metadata_store_pb2.ArtifactType(name='Examples'))
  examples, statistics, new_examples = store.put_artifacts([
      metadata_store_pb2.Artifact(type_id=artifact_type, uri=uri)
      for uri in ('/root/examples/1', '/root/statistics/2',
                  '/root/examples/3')])
  context_types = {
      name: store.put_context_type(metadata_store_pb2.ContextType(name=name))
      for name in (run_record.PIPELINE_RUN_CONTEXT, run_record.NODE_CONTEXT)}
  runs = store.put_contexts([
      metadata_store_pb2.Context(
          type_id=context_types[run_record.PIPELINE_RUN_CONTEXT], name=name)
      for name in ('2026-01-01T10:00:00', '2026-01-02T10:00:00')])
  example_gen, statistics_gen = store.put_contexts([
      metadata_store_pb2.Context(
          type_id=context_types[run_record.NODE_CONTEXT], name=f'ytdnn.{name}')
      for name in ('MovieLensIngestion', 'StatisticsGen')])
  complete = metadata_store_pb2.Execution.COMPLETE
  _record_execution(store, runs[0], example_gen, complete, {},
                    {'examples': examples})
  _record_execution(store, runs[0], statistics_gen, complete,
                    {'examples': examples}, {'statistics': statistics})
  _record_execution(store, runs[1], example_gen, complete, {},
                    {'examples': new_examples})
  _record_execution(store, runs[1], statistics_gen,
                    metadata_store_pb2.Execution.CACHED,
                    {'examples': new_examples}, {'statistics': statistics})
  return path


def test_latest_is_the_newest_run_with_its_cached_outputs(metadata_path):
  run = run_record.read_run(metadata_path)
  assert run.run_id == '2026-01-02T10:00:00'
  assert run.states == {'MovieLensIngestion': 'COMPLETE', 'StatisticsGen': 'CACHED'}
  assert run.output('MovieLensIngestion', 'examples').uri == '/root/examples/3'
  assert run.output('StatisticsGen', 'statistics').uri == '/root/statistics/2'
  assert run.input('StatisticsGen', 'examples').uri == '/root/examples/3'
  assert run.output('Evaluator', 'evaluation') is None


def test_a_run_is_found_by_its_id(metadata_path):
  run = run_record.read_run(metadata_path, '2026-01-01T10:00:00')
  assert run.output('MovieLensIngestion', 'examples').uri == '/root/examples/1'
  assert run_record.run_ids(run_record.open_store(metadata_path)) == [
      '2026-01-01T10:00:00', '2026-01-02T10:00:00']


def test_an_unknown_run_is_an_error_naming_the_known_ones(metadata_path):
  with pytest.raises(run_record.RunNotFoundError,
                     match='runs: 2026-01-01T10:00:00, 2026-01-02T10:00:00'):
    run_record.read_run(metadata_path, 'yesterday')


def test_an_empty_store_has_no_run(tmp_path):
  path = str(tmp_path / 'empty.sqlite')
  _store(path)
  with pytest.raises(run_record.RunNotFoundError, match='no pipeline run'):
    run_record.read_run(path)


def test_blessed_reads_an_evaluator_blessing_and_none_without_one():
  def blessing(blessed: int) -> metadata_store_pb2.Artifact:
    artifact = metadata_store_pb2.Artifact()
    artifact.custom_properties['blessed'].int_value = blessed
    return artifact

  run = run_record.Run(
      run_id='run', states={}, inputs={},
      outputs={('Evaluator', 'blessing'): [blessing(1)],
               ('RetrievalEvaluator', 'blessing'): [blessing(0)]})
  assert run.blessed('Evaluator') is True
  assert run.blessed('RetrievalEvaluator') is False
  assert run.blessed('TwoStageEvaluator') is None
