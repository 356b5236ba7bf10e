"""The TF Transform graph: vocabularies, the ragged history, normalized context, labels.

Everything here runs inside the graph that the Transform component saves, so
serving applies exactly the same mapping as training: no hashing, padding or
lookup happens outside it.
"""

from typing import Any, Mapping

import tensorflow as tf
import tensorflow_transform as tft

from contract import features
from contract import formats

# Quantile buckets for the paper's cumulative-distribution normalization of
# continuous features into [0, 1].
NUM_QUANTILES = 50
ZIP_PREFIX_LENGTH = 3


def _dense_string(feature: tf.Tensor | tf.SparseTensor) -> tf.Tensor:
  """A [batch] string tensor from a required [batch, 1] or optional sparse feature."""
  if isinstance(feature, tf.SparseTensor):
    feature = tft.sparse_tensor_to_dense_with_shape(
        feature, [None, 1], default_value='')
  return tf.squeeze(feature, axis=1)


def _list(feature: tf.SparseTensor) -> tf.RaggedTensor:
  """A list feature (features.LIST_FEATURES) as ragged rows, oldest first.

  A parsed list feature is ragged-right, each row's values at places 0 to
  n - 1, so its rows follow from the values' row ids alone.
  RaggedTensor.from_sparse first asserts that, in about 45 ops per list,
  and a request's time goes by its number of ops more than by its size: in
  requests of 100 examples the three lists' conversions took 139 ops and
  0.29 ms of op time, these 39 ops and 0.06 ms; requests of one user's
  100 movies took 2.53 and 4.24 ms p50 and p99 against 2.68 and 4.68 (five
  packed members with untrained weights, alternating request by request,
  load 0.8-1.1).
  """
  return tf.RaggedTensor.from_value_rowids(
      feature.values, feature.indices[:, 0], nrows=feature.dense_shape[0],
      validate=False)


def _indices(values: tf.Tensor, vocabulary: tf.Tensor,
             vocabulary_name: str) -> tf.Tensor:
  """Each value's vocabulary index; a value not in it gets the vocabulary's size.

  What tft.apply_vocabulary gives with one OOV bucket, without its hashing:
  for int64 ids that table hashes the text of every id, known or not, to
  choose among the OOV buckets. On 7,000 ids, the histories and raters of
  a request of 100 examples, its lookup took 0.66 ms and a plain table's
  0.11 ms (ad-hoc benchmark, load 0.5).
  """
  indices = tft.apply_vocabulary(values, vocabulary, default_value=-1)
  return tf.where(
      indices < 0,
      tf.cast(tft.experimental.get_vocabulary_size_by_name(vocabulary_name),
              tf.int64),
      indices)


def _apply_to_ragged(ragged: tf.RaggedTensor, vocabulary: tf.Tensor,
                     vocabulary_name: str) -> tf.RaggedTensor:
  """Looks up every value of a ragged tensor, keeping its row structure."""
  return ragged.with_flat_values(
      _indices(ragged.flat_values, vocabulary, vocabulary_name))


def _quantile_normalized(x: tf.Tensor, name: str) -> dict[str, tf.Tensor]:
  """The paper's x, x**2 and sqrt(x) of a feature normalized to [0, 1] by quantiles."""
  buckets = tft.bucketize(x, NUM_QUANTILES, elementwise=True)
  normalized = tf.cast(buckets, tf.float32) / float(NUM_QUANTILES - 1)
  return {
      f'{name}{power}': value
      for power, value in zip(
          features.CONTINUOUS_POWERS,
          (normalized, tf.square(normalized), tf.sqrt(normalized)))
  }


def _example_age_order(timestamp: tf.Tensor) -> tf.Tensor:
  """A value that orders examples as their age does: the negated timestamp.

  The paper's example age is the newest training timestamp minus the
  example's. Normalized by its quantiles, only its order survives, and the
  negated timestamp has the same order. So the quantiles are taken of it
  directly, in the same pass as every other analyzer, instead of in a second
  pass over the data that needs the newest timestamp first: that pass cost
  the Transform 19 of 121 s on ml-1m's temporal train split. A serving
  request stamped after the training data falls in the newest bucket, 0, as
  an age of 0 did. (As float32 the timestamp is rounded to 64 s, which no
  bucket of days notices.)
  """
  return -tf.cast(tf.squeeze(timestamp, axis=1), tf.float32)


def _history_ratings(ratings: tf.RaggedTensor,
                     history: tf.RaggedTensor) -> tf.RaggedTensor:
  """The ratings of the history movies as floats, one per history movie.

  A request whose `history_ratings` does not line up with its `history`
  fails here with a message naming both, instead of silently pairing a movie
  with another movie's rating. The check is part of the graph, so every
  request that carries a history, to either model, carries its ratings too.
  """
  aligned = tf.debugging.assert_equal(
      ratings.row_lengths(), history.row_lengths(),
      message=(f'{features.HISTORY_RATINGS} must hold one rating per movie '
               f'in {features.HISTORY}'))
  with tf.control_dependencies([aligned]):
    return tf.cast(ratings, tf.float32)


def _labels(rating: tf.Tensor,
            scale: formats.RatingScale) -> dict[str, tf.Tensor]:
  """The three training targets, all derived from the raw rating.

  The stars label is the rating's place on its format's scale: 0..4 for
  ml-1m's whole stars, 0..9 for the half stars of the later releases.
  """
  rating = tf.cast(tf.squeeze(rating, axis=1), tf.float32)
  return {
      features.RATING_LABEL: rating,
      features.STARS_LABEL: tf.cast(
          tf.round((rating - scale.lowest) / scale.step), tf.int64),
      features.LIKED_LABEL: tf.cast(rating >= features.LIKED_MIN_RATING,
                                    tf.int64),
  }


def _demographics(inputs: Mapping[str, tf.Tensor | tf.SparseTensor],
                  data_format: formats.DataFormat) -> dict[str, tf.Tensor]:
  """The demographic indices, or none for a format without a users file.

  The schema of such a format has no demographic features
  (components/curated_schema.py), so neither have the inputs.
  """
  if not data_format.has_demographics:
    return {}
  outputs = {}
  zip_prefix = tf.strings.substr(
      _dense_string(inputs[features.ZIP]), 0, ZIP_PREFIX_LENGTH)
  outputs[features.ZIP_PREFIX_INDEX] = tft.compute_and_apply_vocabulary(
      zip_prefix, num_oov_buckets=1,
      vocab_filename=features.ZIP_PREFIX_VOCABULARY)
  for raw, transformed in ((features.GENDER, features.GENDER_INDEX),
                           (features.AGE, features.AGE_INDEX),
                           (features.OCCUPATION, features.OCCUPATION_INDEX)):
    values = inputs[raw]
    if values.dtype != tf.string:
      values = tf.strings.as_string(values)
    outputs[transformed] = tft.compute_and_apply_vocabulary(
        tf.squeeze(values, axis=1), num_oov_buckets=1, vocab_filename=raw)
  return outputs


def preprocessing_fn(inputs: dict[str, tf.Tensor | tf.SparseTensor],
                     custom_config: Mapping[str, Any]
                     ) -> dict[str, tf.Tensor | tf.RaggedTensor]:
  """Maps raw ingested examples to the model's inputs and labels.

  `custom_config[formats.CUSTOM_CONFIG_KEY]` names the examples' format.
  The label outputs depend only on `rating`, so the serving graph, which has
  no rating, prunes them away.
  """
  data_format = formats.from_custom_config(custom_config)
  outputs = {}

  movie_ids = tf.squeeze(inputs[features.MOVIE_ID], axis=1)
  movie_vocabulary = tft.vocabulary(
      movie_ids, vocab_filename=features.MOVIE_VOCABULARY)
  outputs[features.MOVIE_INDEX] = _indices(
      movie_ids, movie_vocabulary, features.MOVIE_VOCABULARY)
  history = _list(inputs[features.HISTORY])
  outputs[features.HISTORY_INDICES] = _apply_to_ragged(
      history, movie_vocabulary, features.MOVIE_VOCABULARY)
  outputs[features.HISTORY_RATING_VALUES] = _history_ratings(
      _list(inputs[features.HISTORY_RATINGS]), history)

  user_ids = tf.squeeze(inputs[features.USER_ID], axis=1)
  user_vocabulary = tft.vocabulary(
      user_ids, vocab_filename=features.USER_VOCABULARY)
  outputs[features.USER_INDEX] = _indices(
      user_ids, user_vocabulary, features.USER_VOCABULARY)
  outputs[features.RATER_INDICES] = _apply_to_ragged(
      _list(inputs[features.MOVIE_RATERS]), user_vocabulary,
      features.USER_VOCABULARY)
  outputs.update(_demographics(inputs, data_format))

  genre_columns = tf.stack(
      [_dense_string(inputs[name]) for name in features.GENRE_COLUMNS], axis=1)
  # A client may leave out any genre column, not only the trailing ones.
  genres = tf.ragged.boolean_mask(genre_columns, genre_columns != '')
  genre_vocabulary = tft.vocabulary(
      genres.flat_values, vocab_filename=features.GENRE_VOCABULARY)
  outputs[features.GENRE_INDICES] = _apply_to_ragged(
      genres, genre_vocabulary, features.GENRE_VOCABULARY)

  for name in features.CONTINUOUS_FEATURES:
    outputs.update(_quantile_normalized(
        tf.cast(tf.squeeze(inputs[name], axis=1), tf.float32), name))
  outputs.update(_quantile_normalized(
      _example_age_order(inputs[features.TIMESTAMP]), features.EXAMPLE_AGE))

  outputs.update(_labels(inputs[features.RAW_LABEL],
                         data_format.rating_scale))
  return outputs
