"""The retrieval model's serving signature: a user's raw features in, top movies out.

Scoring is brute force over every movie embedding inside the graph: ml-1m has
a few thousand movies, so one matrix product per request is cheaper than any
approximate index.
"""

import tensorflow as tf
import tensorflow_transform as tft

from contract import features
from models import retrieval_model
from models import signatures


def _movie_ids(tf_transform_output: tft.TFTransformOutput) -> list[int]:
  """Raw movie id of each movie vocabulary row (the OOV row excluded)."""
  return [int(token) for token in
          tf_transform_output.vocabulary_by_name(features.MOVIE_VOCABULARY)]


def make_signatures(model: retrieval_model.RetrievalModel,
                    tf_transform_output: tft.TFTransformOutput,
                    top_k: int) -> dict:
  """`serving_default`: the top `top_k` movies of each request, best first.

  A request is a serialized tf.Example with the features of
  features.RETRIEVAL_REQUEST_FEATURES and, optionally, `excluded_movie_ids`
  (e.g. the movies the user already rated), which never appear in the answer.
  When fewer movies are left than `top_k`, the tail has score -inf.
  """
  movie_ids = _movie_ids(tf_transform_output)
  model.tft_layer = tf_transform_output.transform_features_layer()
  model.movie_ids = tf.constant(movie_ids, tf.int64)
  model.movie_rows = tf.lookup.StaticHashTable(
      tf.lookup.KeyValueTensorInitializer(
          tf.constant(movie_ids, tf.int64),
          tf.range(len(movie_ids), dtype=tf.int64)),
      default_value=len(movie_ids))
  raw_spec = tf_transform_output.raw_feature_spec()
  request_spec = {name: raw_spec[name]
                  for name in features.RETRIEVAL_REQUEST_FEATURES
                  if name in raw_spec}
  request_spec[features.EXCLUDED_MOVIE_IDS] = tf.io.VarLenFeature(tf.int64)
  k = min(top_k, len(movie_ids))

  @tf.function(input_signature=[signatures.EXAMPLES_SPEC])
  def serve(examples: tf.Tensor) -> dict[str, tf.Tensor]:
    """Top movie ids and their scores for raw user examples."""
    parsed = tf.io.parse_example(examples, request_spec)
    excluded = parsed.pop(features.EXCLUDED_MOVIE_IDS)
    transformed = model.tft_layer(parsed)
    batch_size = tf.shape(examples)[0]
    inputs = {name: transformed[name]
              for name in retrieval_model.USER_INPUT_NAMES
              if name in transformed
              and name not in retrieval_model.EXAMPLE_AGE_INPUTS}
    inputs.update({name: tf.zeros([batch_size], tf.float32)
                   for name in retrieval_model.EXAMPLE_AGE_INPUTS})
    scores = model.scores(model(inputs))
    excluded_cells = tf.stack(
        [excluded.indices[:, 0], model.movie_rows.lookup(excluded.values)],
        axis=1)
    scores = tf.tensor_scatter_nd_update(
        scores, excluded_cells,
        tf.fill([tf.shape(excluded_cells)[0]], -float('inf')))
    top = tf.math.top_k(scores, k=k)
    return {features.RETRIEVED_MOVIE_IDS: tf.gather(model.movie_ids,
                                                    top.indices),
            features.RETRIEVAL_SCORES: top.values}

  return {signatures.SERVING_DEFAULT: serve}
