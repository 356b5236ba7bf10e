"""Live progress of a local run, read from ML Metadata as the runner writes it.

The runner's own log lines are not dependable for this: components reset the
absl logging level while they run. ML Metadata records every execution with its
state and times, so a poller sees each component start and end whatever the
logging configuration.
"""

import os
import sys
import threading
from typing import TextIO

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2

from reporting import run_record

_Execution = metadata_store_pb2.Execution
_FINAL_STATES = {_Execution.COMPLETE: 'done', _Execution.CACHED: 'cached',
                 _Execution.FAILED: 'FAILED', _Execution.CANCELED: 'canceled'}


class RunProgress(threading.Thread):
  """Prints one line as each component starts and one as it ends.

  Only executions created after the poller starts count, so earlier runs in the
  same metadata store are ignored. `durations` holds each finished component's
  wall time in seconds, in the order they finished.
  """

  def __init__(self, metadata_path: str, stream: TextIO = sys.stdout,
               interval_s: float = 1.0):
    super().__init__(daemon=True)
    self._metadata_path = metadata_path
    self._stream = stream
    self._interval_s = interval_s
    self._stopping = threading.Event()
    self._store: mlmd.MetadataStore | None = None
    self._first_id = max((e.id for e in self._executions()), default=0)
    self._announced: set[int] = set()
    self.durations: dict[str, float] = {}

  def run(self) -> None:
    while not self._stopping.wait(self._interval_s):
      self.poll()

  def stop(self) -> None:
    """Stops polling after one last look, so the final states are printed."""
    self._stopping.set()
    self.join()
    self.poll()

  def poll(self) -> None:
    for execution in sorted(self._executions(), key=lambda e: e.id):
      if execution.id > self._first_id:
        self._report(execution)

  def _executions(self) -> list[_Execution]:
    """Every execution so far; none while the runner is still creating the store."""
    if not os.path.exists(self._metadata_path):
      return []
    try:
      self._store = self._store or run_record.open_store(self._metadata_path)
      return self._store.get_executions()
    except mlmd.errors.StatusError:
      return []

  def _report(self, execution: _Execution) -> None:
    node = (run_record.node_id(self._store, execution.id) or
            execution.type)
    if execution.id not in self._announced:
      self._announced.add(execution.id)
      self._write(f'  {node} ...')
    final = _FINAL_STATES.get(execution.last_known_state)
    if final and node not in self.durations:
      seconds = (execution.last_update_time_since_epoch -
                 execution.create_time_since_epoch) / 1000
      self.durations[node] = seconds
      self._write(f'  {node} {final} in {seconds:.1f} s')

  def _write(self, line: str) -> None:
    self._stream.write(line + '\n')
    self._stream.flush()
