"""The retrieval model's data: its carve-out and its training and validation batches.

Every rating is "the next movie" given the user's earlier history. Training
reads them as targets of chunks of users' sequences
(models/retrieval_sequences.py); validation one example per row.
"""

import dataclasses
from typing import Callable, Iterable, Iterator

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


def transformed_names(tf_transform_output: tft.TFTransformOutput
                      ) -> list[str]:
  """The TRANSFORMED_NAMES the Transform produces.

  The demographics only for a format that has them. The ranking model's
  features (the movie's raters, its genres and counts, the history's
  ratings, the labels) are left out: on full ml-1m's temporal train split
  they took the in-memory tensors from 721 to 373 MB, the process's peak
  RSS while transforming from 2.47 to 1.78 GB, and the transform from 16.5
  to 13.9 CPU-s (load 1.0-1.3).
  """
  produced = tf_transform_output.transformed_feature_spec()
  return [name for name in TRANSFORMED_NAMES if name in produced]


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


# Per example, what training reads of it beside its history: where it sits
# in its user's sequence, the target's features and the history's length.
# 68 bytes an example with the demographics (compact_columns), against 400
# for a history of 50 movies.
COLUMN_NAMES = (features.USER_INDEX, features.SEQUENCE_POSITION,
                features.MOVIE_INDEX, *features.DEMOGRAPHIC_INDICES,
                *retrieval_model.USER_CONTINUOUS)


def compact_columns(transformed: training.Features) -> training.Features:
  """The COLUMN_NAMES of `transformed` and its histories' lengths, narrowed.

  `transformed` must hold features.SEQUENCE_POSITION (transformed_chunks
  with positions) and features.HISTORY_INDICES. Its int64 columns, indices
  of vocabularies, rating counts and history lengths all far below 2**31,
  are kept as int32; chunk_inputs widens them back.
  """
  columns = {name: transformed[name] for name in COLUMN_NAMES
             if name in transformed}
  columns[retrieval_sequences.HISTORY_LENGTH] = (
      transformed[features.HISTORY_INDICES].row_lengths())
  return {name: tf.cast(value, tf.int32) if value.dtype == tf.int64
          else value for name, value in columns.items()}


@dataclasses.dataclass(frozen=True)
class Split:
  """A split's compact columns and its validation candidates, in record order.

  columns: compact_columns of every example. in_validation: per example,
  whether it is in the carve-out (in_validation). candidates: the user
  inputs, histories included, and target movie of those examples, kept
  whole: about 1% of the split.
  """
  columns: training.Features
  in_validation: np.ndarray
  candidates: training.Features

  def validation_carve_out(self, kept: np.ndarray) -> training.Features:
    """The candidates among the examples `kept` marks, one per row."""
    return select(self.candidates, tf.constant(kept[self.in_validation]))


def read_split(records: tf.data.Dataset,
               tf_transform_output: tft.TFTransformOutput,
               validation_modulus: int) -> Split:
  """The records' Split, transformed a chunk at a time.

  Only the carve-out's histories stay: the rest are dropped chunk by chunk
  (streamed_histories reads them again), so the split's largest feature is
  never whole in memory: held whole, the transformed split of ml-1m's
  temporal train split took 373 MB, mostly its histories of up to 50 int64
  movies an example.
  """
  def columns_and_candidates(chunk: training.Features
                             ) -> tuple[training.Features, tf.Tensor,
                                        training.Features]:
    chosen = in_validation(chunk, validation_modulus)
    return (compact_columns(chunk), chosen,
            validation_carve_out(chunk, chosen))

  parts = list(training.transformed_chunks(
      records, tf_transform_output, transformed_names(tf_transform_output),
      with_positions=True).map(columns_and_candidates))

  return Split(columns=training.concatenated([part[0] for part in parts]),
               in_validation=np.concatenate(
                   [part[1].numpy() for part in parts]),
               candidates=training.concatenated([part[2] for part in parts]))


def streamed_histories(records: tf.data.Dataset,
                       tf_transform_output: tft.TFTransformOutput
                       ) -> Iterator[tf.RaggedTensor]:
  """The records' histories, transformed again, one chunk at a time in order."""
  for chunk in training.transformed_chunks(
      records, tf_transform_output, [features.HISTORY_INDICES]):
    yield chunk[features.HISTORY_INDICES]


def sequence_chunks(columns: training.Features,
                    histories: Iterable[tf.RaggedTensor],
                    trained: np.ndarray,
                    config: hyperparameters.RetrievalConfig
                    ) -> retrieval_sequences.SequenceChunks:
  """The split's sequences in chunks, the `trained` examples their targets.

  `columns` are compact_columns of the examples whose histories come in
  `histories`, in consecutive blocks of examples: streamed_histories, or a
  whole in-memory split's as one block. The windows reach back as far as
  the longest history.
  """
  return retrieval_sequences.build_chunks(
      users=columns[features.USER_INDEX].numpy(),
      positions=columns[features.SEQUENCE_POSITION].numpy(),
      movies=columns[features.MOVIE_INDEX].numpy(), histories=histories,
      trained=trained,
      history_length=max(1, int(tf.reduce_max(
          columns[retrieval_sequences.HISTORY_LENGTH]))),
      chunk_length=config.chunk_length)


def chunk_inputs(columns: training.Features) -> Callable[
    [dict[str, tf.Tensor]], tuple[dict[str, tf.Tensor], tf.Tensor]]:
  """A function from a batch of SequenceChunks.as_features() to (inputs, targets).

  The inputs are the chunks' movies and target places and, per target place
  in their row-major order, the target example's user features and history
  length from the compact columns, widened back to the transform's int64;
  the targets are their movies.
  """
  per_example = {name: columns[name] for name in (
      *features.DEMOGRAPHIC_INDICES, *retrieval_model.USER_CONTINUOUS,
      features.MOVIE_INDEX, retrieval_sequences.HISTORY_LENGTH)
                 if name in columns}

  def inputs_and_targets(batch: dict[str, tf.Tensor]
                         ) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
    is_target = batch['examples'] != retrieval_sequences.NO_EXAMPLE
    inputs = {name: tf.cast(value, tf.int64) if value.dtype == tf.int32
              else value for name, value in training.take(
                  per_example,
                  tf.boolean_mask(batch['examples'], is_target)).items()}
    targets = inputs.pop(features.MOVIE_INDEX)
    inputs[retrieval_sequences.WINDOW_MOVIES] = batch['movies']
    inputs[retrieval_sequences.IS_TARGET] = is_target
    return inputs, targets

  return inputs_and_targets


def sequence_batches(columns: training.Features,
                     chunks: retrieval_sequences.SequenceChunks,
                     config: hyperparameters.RetrievalConfig,
                     shard: distribution.Shard = distribution.WHOLE
                     ) -> tf.data.Dataset:
  """(chunk inputs, target movies) of `chunks_per_batch` chunks, reshuffled every epoch.

  A worker's `shard` holds its chunks of every batch.
  """
  return training.shuffled_batches(
      chunks.as_features(), config.chunks_per_batch,
      shard=shard).map(chunk_inputs(columns),
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
