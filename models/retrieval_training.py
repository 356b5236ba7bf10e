"""The retrieval model's data: its carve-out and its (inputs, target) batches.

Every training example is one rating as "the next movie" given the user's
earlier history.
"""

import tensorflow as tf

from contract import features
from models import hyperparameters
from models import retrieval_model
from models import training


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
            for name in retrieval_model.USER_INPUT_NAMES}
  return inputs, transformed[features.MOVIE_INDEX]


def split_carve_out(
    data: training.Features, config: hyperparameters.RetrievalConfig
) -> tuple[training.Features, training.Features]:
  """The in-memory train split as (rest, carve-out) by `in_validation`.

  Split once, so no epoch filters again, and only the features the model
  reads are kept, so the two parts together take less memory than the split.
  """
  chosen = in_validation(data, config.validation_modulus)
  read = {name: data[name] for name in (*retrieval_model.USER_INPUT_NAMES,
                                        features.MOVIE_INDEX)}
  return (select(read, tf.logical_not(chosen)),
          select(read, chosen))


def training_batches(
    rest: training.Features,
    config: hyperparameters.RetrievalConfig) -> tf.data.Dataset:
  """(user inputs, target movie) batches of the rest, reshuffled every epoch."""
  return training.shuffled_batches(rest, config.batch_size).map(
      split_target, num_parallel_calls=tf.data.AUTOTUNE)


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
