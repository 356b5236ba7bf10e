"""The retrieval model's data: its carve-out and its training and validation batches.

Every rating is "the next movie" given the user's earlier history. Training
reads them as targets of chunks of users' sequences
(models/retrieval_sequences.py); validation one example per row.
"""

from typing import Callable

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from contract import features
from models import distribution
from models import hyperparameters
from models import retrieval_model
from models import retrieval_sequences
from models import training


# The transformed features the retrieval Trainer reads: the user tower's
# inputs, the target movie, and the user, which with the movie places an
# example in the carve-out (in_validation).
TRANSFORMED_NAMES = (*retrieval_model.USER_INPUT_NAMES, features.USER_INDEX,
                     features.MOVIE_INDEX)


def transformed_split(records: tf.data.Dataset,
                      tf_transform_output: tft.TFTransformOutput
                      ) -> training.Features:
  """A split's TRANSFORMED_NAMES and each example's sequence position, in memory.

  Of TRANSFORMED_NAMES, those the Transform produces: the demographics only
  for a format that has them.

  The ranking model's features (the movie's raters, its genres and counts,
  the history's ratings, the labels) are left out: on full ml-1m's temporal
  train split they took the tensors from 721 to 373 MB, the process's peak
  RSS while transforming from 2.47 to 1.78 GB, and the transform from 16.5
  to 13.9 CPU-s (load 1.0-1.3).
  """
  produced = tf_transform_output.transformed_feature_spec()
  return training.transform_in_memory(
      records, tf_transform_output,
      [name for name in TRANSFORMED_NAMES if name in produced],
      with_positions=True)


def in_validation(transformed: dict[str, tf.Tensor],
                  modulus: int) -> tf.Tensor:
  """Whether each example of a batch belongs to the validation carve-out.

  A fixed function of the user and the movie, so every epoch's shuffle puts
  the same examples on the same side.
  """
  key = (transformed[features.USER_INDEX] * 7919 +
         transformed[features.MOVIE_INDEX])
  return tf.equal(key % modulus, 0)


def select(transformed: dict[str, tf.Tensor | tf.RaggedTensor],
           keep: tf.Tensor) -> dict[str, tf.Tensor | tf.RaggedTensor]:
  """The examples of a batch where `keep` is true, ragged features included."""
  return {name: (tf.ragged.boolean_mask(value, keep)
                 if isinstance(value, tf.RaggedTensor)
                 else tf.boolean_mask(value, keep))
          for name, value in transformed.items()}


def split_target(transformed: dict[str, tf.Tensor]
                 ) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
  """A transformed batch as (user tower inputs, target movie indices)."""
  inputs = {name: transformed[name]
            for name in retrieval_model.USER_INPUT_NAMES
            if name in transformed}
  return inputs, transformed[features.MOVIE_INDEX]


def validation_carve_out(data: training.Features,
                         chosen: tf.Tensor) -> training.Features:
  """The user inputs and target movie of the `chosen` examples, one per row."""
  return select({name: data[name] for name in (
      *retrieval_model.USER_INPUT_NAMES, features.MOVIE_INDEX)
                 if name in data}, chosen)


def sequence_chunks(data: training.Features, trained: np.ndarray,
                    config: hyperparameters.RetrievalConfig
                    ) -> retrieval_sequences.SequenceChunks:
  """The split's sequences in chunks, the `trained` examples their targets.

  `data` must hold features.SEQUENCE_POSITION (transform_in_memory with
  positions). The windows reach back as far as the longest history.
  """
  history = data[features.HISTORY_INDICES]
  return retrieval_sequences.build_chunks(
      users=data[features.USER_INDEX].numpy(),
      positions=data[features.SEQUENCE_POSITION].numpy(),
      movies=data[features.MOVIE_INDEX].numpy(), history=history,
      trained=trained,
      history_length=max(1, int(tf.reduce_max(history.row_lengths()))),
      chunk_length=config.chunk_length)


def chunk_inputs(data: training.Features) -> Callable[
    [dict[str, tf.Tensor]], tuple[dict[str, tf.Tensor], tf.Tensor]]:
  """A function from a batch of SequenceChunks.as_features() to (inputs, targets).

  The inputs are the chunks' movies and target places and, per target place
  in their row-major order, the target example's user features and history
  length from the in-memory examples; the targets are their movies.
  """
  per_example = {name: data[name] for name in (
      *features.DEMOGRAPHIC_INDICES, *retrieval_model.USER_CONTINUOUS,
      features.MOVIE_INDEX) if name in data}
  per_example[retrieval_sequences.HISTORY_LENGTH] = (
      data[features.HISTORY_INDICES].row_lengths())

  def inputs_and_targets(batch: dict[str, tf.Tensor]
                         ) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    is_target = batch['examples'] != retrieval_sequences.NO_EXAMPLE
    inputs = training.take(per_example,
                           tf.boolean_mask(batch['examples'], is_target))
    targets = inputs.pop(features.MOVIE_INDEX)
    inputs[retrieval_sequences.WINDOW_MOVIES] = batch['movies']
    inputs[retrieval_sequences.IS_TARGET] = is_target
    return inputs, targets

  return inputs_and_targets


def sequence_batches(data: training.Features,
                     chunks: retrieval_sequences.SequenceChunks,
                     config: hyperparameters.RetrievalConfig,
                     shard: distribution.Shard = distribution.WHOLE
                     ) -> tf.data.Dataset:
  """(chunk inputs, target movies) of `chunks_per_batch` chunks, reshuffled every epoch.

  A worker's `shard` holds its chunks of every batch.
  """
  return training.shuffled_batches(
      chunks.as_features(), config.chunks_per_batch,
      shard=shard).map(chunk_inputs(data),
                       num_parallel_calls=tf.data.AUTOTUNE)


def validation_batches(
    carve_out: training.Features,
    config: hyperparameters.RetrievalConfig) -> tf.data.Dataset:
  """(user inputs, target movie) batches of the carve-out, kept in memory.

  Full batches of the carve-out alone (about 1% of the split), so no batch
  is empty: an empty batch would make its mean loss, and so the epoch's
  validation loss, NaN and stop training early.
  """
  return training.in_order_batches(carve_out, config.batch_size).map(
      split_target).cache()
