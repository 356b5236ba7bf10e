"""Losses and metrics of each head, kept out of the model as TFRS keeps its tasks.

The model only maps features to outputs; what each output is trained on and
how it is measured lives here, next to the label it reads.
"""

import dataclasses
from typing import Callable

import tensorflow as tf

from contract import features


@dataclasses.dataclass(frozen=True)
class Task:
  """One head's label, loss and metrics."""
  head: str
  label: str
  label_dtype: tf.DType
  loss: tf.keras.losses.Loss
  metrics: Callable[[], list[tf.keras.metrics.Metric]]


def _rating_metrics() -> list[tf.keras.metrics.Metric]:
  return [tf.keras.metrics.RootMeanSquaredError(name='rmse'),
          tf.keras.metrics.MeanAbsoluteError(name='mae')]


def _stars_metrics() -> list[tf.keras.metrics.Metric]:
  return [tf.keras.metrics.SparseCategoricalAccuracy(name='accuracy')]


def _liked_metrics() -> list[tf.keras.metrics.Metric]:
  return [tf.keras.metrics.AUC(name='auc'),
          tf.keras.metrics.BinaryAccuracy(name='accuracy')]


RANKING_TASKS = (
    Task(features.RATING_HEAD, features.RATING_LABEL, tf.float32,
         tf.keras.losses.MeanSquaredError(), _rating_metrics),
    Task(features.STARS_HEAD, features.STARS_LABEL, tf.int64,
         tf.keras.losses.SparseCategoricalCrossentropy(), _stars_metrics),
    Task(features.LIKED_HEAD, features.LIKED_LABEL, tf.float32,
         tf.keras.losses.BinaryCrossentropy(), _liked_metrics),
)


def compile_kwargs(loss_weights: dict[str, float]) -> dict:
  """Keras `compile` arguments for the three ranking heads."""
  return {
      'loss': {task.head: task.loss for task in RANKING_TASKS},
      'loss_weights': {task.head: loss_weights[task.head]
                       for task in RANKING_TASKS},
      'metrics': {task.head: task.metrics() for task in RANKING_TASKS},
  }


@dataclasses.dataclass(frozen=True)
class SampledSoftmaxRetrieval:
  """The candidate generation task: which movie comes next, among all of them.

  Training samples negatives with TensorFlow's log-uniform sampler, which
  assumes classes ordered by falling frequency: the Transform's movie
  vocabulary is. The loss corrects for each class's sampling probability and
  drops sampled negatives that are the batch's own targets.
  """
  num_sampled: int
  num_movies: int

  def loss(self, user_vectors: tf.Tensor, movie_weights: tf.Tensor,
           movie_biases: tf.Tensor, target_movies: tf.Tensor) -> tf.Tensor:
    """Mean sampled-softmax loss of a batch of users and their next movies."""
    return tf.reduce_mean(tf.nn.sampled_softmax_loss(
        weights=movie_weights, biases=movie_biases,
        labels=tf.reshape(tf.cast(target_movies, tf.int64), [-1, 1]),
        inputs=user_vectors, num_sampled=self.num_sampled,
        num_classes=self.num_movies, remove_accidental_hits=True))


@dataclasses.dataclass(frozen=True)
class FullSoftmaxRetrieval:
  """The candidate generation task with every movie in the softmax.

  No sampling, so no correction for it: ml-1m's few thousand movies make the
  batch's [targets, movies] logits cheap to compute.
  """

  def loss(self, user_vectors: tf.Tensor, movie_weights: tf.Tensor,
           movie_biases: tf.Tensor, target_movies: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy of a batch of users' next movies over all movies."""
    logits = tf.matmul(user_vectors, movie_weights,
                       transpose_b=True) + movie_biases
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(target_movies, tf.int64), logits=logits))


def split_labels(
    transformed: dict[str, tf.Tensor]) -> tuple[dict[str, tf.Tensor],
                                                dict[str, tf.Tensor]]:
  """Separates a transformed batch into model inputs and per-head labels."""
  inputs = dict(transformed)
  labels = {}
  for task in RANKING_TASKS:
    labels[task.head] = tf.cast(inputs.pop(task.label), task.label_dtype)
  return inputs, labels
