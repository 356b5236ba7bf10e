"""Training on several workers: MultiWorkerMirroredStrategy when TF_CONFIG names them.

TFX 1.16's Trainer runs its `run_fn` in one process, but its Vertex AI
Trainer starts the same `run_fn` in every replica of a worker pool with
TF_CONFIG set (tensorflow/tfx#5511), and a Kubeflow TFJob does the same. So a
`run_fn` that builds its models in `strategy().scope()` trains on every
worker together, and writes through `output_dir`: only the chief writes
where the Trainer's outputs go, the other workers to scratch directories
that are deleted, so the step succeeds on every replica and publishes one
model.

Batches keep their global size, each worker building its share: the
ranking Trainer's workers each read their own files of the train split
(`this_worker`), the retrieval Trainer's each take their share of every
batch of sequence chunks. So one worker and several train the same model,
faster.
"""

import contextlib
import json
import os
import shutil
import tempfile
from typing import Callable, Iterator, NamedTuple

import tensorflow as tf

TF_CONFIG = 'TF_CONFIG'
CHIEF = 'chief'
WORKER = 'worker'


def _tf_config() -> dict:
  return json.loads(os.environ.get(TF_CONFIG) or '{}')


def num_workers() -> int:
  """How many processes train together: 1 without TF_CONFIG."""
  cluster = _tf_config().get('cluster', {})
  return max(1, len(cluster.get(CHIEF, [])) + len(cluster.get(WORKER, [])))


def is_chief() -> bool:
  """Whether this process writes the outputs: the chief, else worker 0."""
  config = _tf_config()
  task = config.get('task', {})
  if not task:
    return True
  if task.get('type') == CHIEF:
    return True
  return (task.get('type') == WORKER and task.get('index') == 0
          and not config.get('cluster', {}).get(CHIEF))


class Shard(NamedTuple):
  """Which of `count` workers' shares of every batch a dataset holds."""
  index: int
  count: int


WHOLE = Shard(0, 1)


def this_worker() -> Shard:
  """This process's place among the workers: the chief first, then the rest
  by index. WHOLE without TF_CONFIG."""
  config = _tf_config()
  task = config.get('task', {})
  if not task:
    return WHOLE
  if task.get('type') == CHIEF:
    return Shard(0, num_workers())
  has_chief = bool(config.get('cluster', {}).get(CHIEF))
  return Shard(task.get('index', 0) + has_chief, num_workers())


def total(strategy: tf.distribute.Strategy, value: int) -> int:
  """The sum of every worker's `value`, known to each of them.

  Each worker counts the examples of its own files; every one must run as
  many steps an epoch, set by their sum.
  """
  if num_workers() == 1:
    return value
  per_replica = strategy.experimental_distribute_values_from_function(
      lambda _: tf.constant(value, tf.int64))
  return int(strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica,
                             axis=None))


class Batches(NamedTuple):
  """What Keras's `fit` takes: the batches, and the steps of an epoch when
  they repeat without end."""
  dataset: tf.data.Dataset | tf.distribute.DistributedDataset
  steps_per_epoch: int | None


def distributed_batches(strategy: tf.distribute.Strategy,
                        make_batches: Callable[[Shard], tf.data.Dataset],
                        batches_per_epoch: Callable[[Shard], int]
                        ) -> Batches:
  """make_batches(WHOLE), or each worker's own make_batches(its shard).

  Each worker builds its share of every batch itself rather than tf.data
  splitting global batches: a batch of sequence chunks holds tensors of
  chunks and of targets, whose first dimensions differ, so no row split of
  its tensors would keep each target with its chunk. Keras runs a
  distributed dataset for a given number of steps, without restarting it
  each epoch, so on several workers the batches repeat.
  """
  if num_workers() == 1:
    return Batches(make_batches(WHOLE), None)

  def worker_batches(context: tf.distribute.InputContext) -> tf.data.Dataset:
    return make_batches(Shard(context.input_pipeline_id,
                              context.num_input_pipelines)).repeat()

  shard = Shard(0, num_workers())
  return Batches(strategy.distribute_datasets_from_function(worker_batches),
                 batches_per_epoch(shard))


def strategy() -> tf.distribute.Strategy:
  """MultiWorkerMirroredStrategy over TF_CONFIG's workers, else the default.

  Created once per process, before any other TensorFlow op, as the strategy
  requires.
  """
  if num_workers() == 1:
    return tf.distribute.get_strategy()
  return tf.distribute.MultiWorkerMirroredStrategy()


@contextlib.contextmanager
def output_dir(directory: str) -> Iterator[str]:
  """`directory` on the chief; elsewhere a scratch directory, deleted after.

  Every worker must take part in saving a model whose variables are
  mirrored across them, but only the chief's copy may land in the Trainer's
  outputs.
  """
  if is_chief():
    yield directory
    return
  scratch = tempfile.mkdtemp(prefix='ytdnn-worker-')
  try:
    yield scratch
  finally:
    shutil.rmtree(scratch, ignore_errors=True)
