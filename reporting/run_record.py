"""One pipeline run's executions and artifacts, read from ML Metadata.

TFX records every run as a `pipeline_run` context; an execution of that run,
cached or not, has events to the artifacts it read and wrote. Going through
those events, rather than globbing the pipeline root, gives exactly the
artifacts of the run asked for, including cached ones from earlier runs.
"""

import dataclasses

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2

from contract import errors
from contract import formats
from contract import paths

LATEST = 'latest'

PIPELINE_RUN_CONTEXT = 'pipeline_run'
NODE_CONTEXT = 'node'


class RunNotFoundError(errors.YtdnnError, LookupError):
  """The store has no such run (or no run at all)."""


@dataclasses.dataclass(frozen=True)
class Run:
  """What the report needs of a run: its components' states and artifacts."""
  run_id: str
  # Node id -> the execution's state, e.g. 'COMPLETE' or 'CACHED', in the
  # order the executions ran.
  states: dict[str, str]
  # (node id, input or output key) -> artifacts.
  inputs: dict[tuple[str, str], list[metadata_store_pb2.Artifact]]
  outputs: dict[tuple[str, str], list[metadata_store_pb2.Artifact]]

  def output(self, node_id: str,
             key: str) -> metadata_store_pb2.Artifact | None:
    """A node's single output, or None when the run has none."""
    artifacts = self.outputs.get((node_id, key), [])
    return artifacts[0] if artifacts else None

  def input(self, node_id: str, key: str) -> metadata_store_pb2.Artifact | None:
    """A node's single input, or None when it had none."""
    artifacts = self.inputs.get((node_id, key), [])
    return artifacts[0] if artifacts else None

  def data_format(self) -> formats.DataFormat:
    """The format of the files the run ingested.

    ml-1m for a run ingested before the ingestion recorded its format, when
    ml-1m was the only one it read.
    """
    examples = self.output(paths.INGESTION, 'examples')
    if examples is None or 'data_format' not in examples.custom_properties:
      return formats.ML_1M
    return formats.by_name(
        examples.custom_properties['data_format'].string_value)

  def blessed(self, node_id: str) -> bool | None:
    """Whether an evaluator's `blessing` output says blessed; None when the
    run has none (the evaluator did not run, or failed)."""
    blessing = self.output(node_id, 'blessing')
    if blessing is None:
      return None
    return bool(blessing.custom_properties['blessed'].int_value)


def open_store(metadata_path: str) -> mlmd.MetadataStore:
  """Read-only, so a report never changes the run it describes."""
  config = metadata_store_pb2.ConnectionConfig()
  config.sqlite.filename_uri = metadata_path
  config.sqlite.connection_mode = (
      metadata_store_pb2.SqliteMetadataSourceConfig.READONLY)
  return mlmd.MetadataStore(config)


def run_ids(store: mlmd.MetadataStore) -> list[str]:
  """Every run of the store, oldest first."""
  contexts = store.get_contexts_by_type(PIPELINE_RUN_CONTEXT)
  return [context.name for context in
          sorted(contexts, key=lambda c: (c.create_time_since_epoch, c.id))]


def node_id(store: mlmd.MetadataStore, execution_id: int) -> str | None:
  """The execution's node id (its node context is named '<pipeline>.<node id>'),
  or None while TFX has not yet linked the execution to its node."""
  for context in store.get_contexts_by_execution(execution_id):
    if context.type == NODE_CONTEXT:
      return context.name.split('.', 1)[1]
  return None


def read_run(metadata_path: str, run_id: str = LATEST) -> Run:
  """The run named `run_id`, or the newest one for 'latest'."""
  store = open_store(metadata_path)
  ids = run_ids(store)
  if not ids:
    raise RunNotFoundError(f'no pipeline run in {metadata_path}')
  if run_id == LATEST:
    run_id = ids[-1]
  context = store.get_context_by_type_and_name(PIPELINE_RUN_CONTEXT, run_id)
  if context is None:
    raise RunNotFoundError(
        f'no run {run_id!r} in {metadata_path}; runs: {", ".join(ids)}')
  # In the order they ran, which the report lists them in.
  executions = sorted(store.get_executions_by_context(context.id),
                      key=lambda e: e.id)
  node_ids = {e.id: node_id(store, e.id) for e in executions}
  if None in node_ids.values():
    raise RunNotFoundError(f'run {run_id!r} has an execution of no node')
  events = store.get_events_by_execution_ids(list(node_ids))
  artifacts = {a.id: a for a in store.get_artifacts_by_id(
      list({event.artifact_id for event in events}))}
  inputs, outputs = {}, {}
  for event in events:
    if event.type == metadata_store_pb2.Event.INPUT:
      by_key = inputs
    elif event.type == metadata_store_pb2.Event.OUTPUT:
      by_key = outputs
    else:
      continue
    key = (node_ids[event.execution_id], event.path.steps[0].key)
    by_key.setdefault(key, []).append(artifacts[event.artifact_id])
  return Run(
      run_id=run_id,
      states={node_ids[e.id]: metadata_store_pb2.Execution.State.Name(
          e.last_known_state) for e in executions},
      inputs=inputs,
      outputs=outputs)
