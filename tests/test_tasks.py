"""Each head's label, loss and metrics."""

import numpy as np
import tensorflow as tf

from contract import features
from models import tasks


def test_split_labels_takes_every_label_out_of_the_inputs():
  batch = {features.MOVIE_INDEX: tf.constant([1, 2], tf.int64),
           features.RATING_LABEL: tf.constant([4.0, 2.0]),
           features.STARS_LABEL: tf.constant([3, 1], tf.int64),
           features.LIKED_LABEL: tf.constant([1, 0], tf.int64)}
  inputs, labels = tasks.split_labels(batch)
  assert set(inputs) == {features.MOVIE_INDEX}
  assert labels[features.LIKED_HEAD].dtype == tf.float32
  assert labels[features.STARS_HEAD].dtype == tf.int64
  assert labels[features.RATING_HEAD].numpy().tolist() == [4.0, 2.0]


def test_compile_kwargs_cover_every_head():
  kwargs = tasks.compile_kwargs({features.RATING_HEAD: 1.0,
                                 features.STARS_HEAD: 0.5,
                                 features.LIKED_HEAD: 0.25})
  heads = {features.RATING_HEAD, features.STARS_HEAD, features.LIKED_HEAD}
  assert set(kwargs['loss']) == set(kwargs['metrics']) == heads
  assert kwargs['loss_weights'][features.LIKED_HEAD] == 0.25


def test_the_full_softmax_loss_is_the_cross_entropy_over_every_movie():
  users = tf.constant([[1.0, 0.0], [0.5, 2.0]])
  weights = tf.constant([[1.0, 1.0], [0.0, 1.0], [-1.0, 0.5]])
  biases = tf.constant([0.1, 0.0, -0.2])
  targets = tf.constant([2, 1], tf.int64)
  logits = users.numpy() @ weights.numpy().T + biases.numpy()
  log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
  np.testing.assert_allclose(
      tasks.FullSoftmaxRetrieval().loss(users, weights, biases, targets),
      -np.mean(log_softmax[[0, 1], [2, 1]]), rtol=1e-6)
