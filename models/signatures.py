"""Serving signatures: raw serialized tf.Examples in, the Transform graph inside."""

import tensorflow as tf
import tensorflow_transform as tft
from tensorflow_metadata.proto.v0 import schema_pb2

from contract import features
from models import candidate_features
from models import engagement
from models import ranking_model

SERVING_DEFAULT = 'serving_default'
# The curated schema's environment of what a client sends (contract/schema.pbtxt).
SERVING_ENVIRONMENT = 'SERVING'
TRANSFORM_FEATURES = 'transform_features'
REPRESENTATIONS = 'representations'
# Orders a request's candidates: the engagement head's score of each.
RANK = 'rank'
EXAMPLES_SPEC = tf.TensorSpec(shape=[None], dtype=tf.string, name='examples')
CANDIDATES_SPEC = tf.TensorSpec(shape=[None, None], dtype=tf.int64,
                                name=features.CANDIDATE_MOVIE_IDS)
SCORES_SPEC = tf.TensorSpec(shape=[None, None], dtype=tf.float32,
                            name=features.CANDIDATE_SCORES)


def request_features(schema: schema_pb2.Schema) -> list[str]:
  """The features a client sends: those of the schema's SERVING environment.

  Neither the label nor the evaluation-only slice columns, which the model
  does not read, so a request need not make them up.
  """
  return [feature.name for feature in schema.feature
          if SERVING_ENVIRONMENT not in feature.not_in_environment]


def request_spec(tf_transform_output: tft.TFTransformOutput) -> dict:
  """The parsing spec of a request: the raw spec of request_features only."""
  raw_spec = tf_transform_output.raw_feature_spec()
  return {name: raw_spec[name] for name in
          request_features(tf_transform_output.raw_metadata.schema)}


def _model_input(transformed: dict[str, tf.Tensor],
                 model: tf.keras.Model) -> dict[str, tf.Tensor]:
  """Keeps exactly the transformed features the model was built on."""
  return {name: transformed[name] for name in model.input_names}


def make_signatures(model: tf.keras.Model,
                    tf_transform_output: tft.TFTransformOutput) -> dict:
  """The rating heads' signatures, each parsing raw examples itself."""
  model.tft_layer = tf_transform_output.transform_features_layer()
  model.representations = ranking_model.representation_model(model)
  raw_spec = tf_transform_output.raw_feature_spec()
  serving_spec = request_spec(tf_transform_output)

  @tf.function(input_signature=[EXAMPLES_SPEC])
  def serve(examples: tf.Tensor) -> dict[str, tf.Tensor]:
    """Scores raw examples without labels: rating, star probabilities, liked."""
    transformed = model.tft_layer(tf.io.parse_example(examples, serving_spec))
    return model(_model_input(transformed, model))

  @tf.function(input_signature=[EXAMPLES_SPEC])
  def transform_features(examples: tf.Tensor) -> dict[str, tf.Tensor]:
    """Transformed features and labels of labelled examples, for TFMA."""
    transformed = model.tft_layer(tf.io.parse_example(examples, raw_spec))
    return {name: value for name, value in transformed.items()
            if not isinstance(value, tf.RaggedTensor)}

  @tf.function(input_signature=[EXAMPLES_SPEC])
  def representations(examples: tf.Tensor) -> dict[str, tf.Tensor]:
    """The learned user and movie vectors of raw examples."""
    transformed = model.tft_layer(tf.io.parse_example(examples, serving_spec))
    return model.representations(_model_input(transformed, model))

  return {
      SERVING_DEFAULT: serve,
      TRANSFORM_FEATURES: transform_features,
      REPRESENTATIONS: representations,
  }


def rank_signature(model: tf.keras.Model, engagement_tower: tf.keras.Model,
                   features_of: candidate_features.CandidateFeatures):
  """The ranking stage's signature, saved with `model` (which tracks both parts)."""
  model.engagement_tower = engagement_tower
  model.candidate_features = features_of

  @tf.function(input_signature=[EXAMPLES_SPEC, CANDIDATES_SPEC, SCORES_SPEC])
  def rank(examples: tf.Tensor, candidate_movie_ids: tf.Tensor,
           candidate_retrieval_scores: tf.Tensor) -> dict[str, tf.Tensor]:
    """Each request's candidates' ordering scores, higher first.

    `examples` are the requests (a request's history and time are read),
    the candidates are retrieval's movie ids and scores, best first.
    """
    return {features.ENGAGEMENT_HEAD: engagement.engagement_logits(
        model.engagement_tower, model.candidate_features,
        tf.io.parse_example(examples, engagement.REQUEST_SPEC),
        candidate_movie_ids, candidate_retrieval_scores)}

  return rank
