"""The member axis: each member computes what a lone layer would."""

import math

import numpy as np
import pytest
import tensorflow as tf

from models import member_axis


def test_split_gives_each_member_its_own_columns_in_turn():
  side_by_side = tf.constant([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
  np.testing.assert_array_equal(member_axis.split(side_by_side, 3),
                                [[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]])


def test_broadcast_gives_every_member_the_same_input():
  shared = tf.constant([[1.0, 2.0], [3.0, 4.0]])
  broadcast = member_axis.broadcast(shared, 3)
  assert broadcast.shape == (2, 3, 2)
  for member in range(3):
    np.testing.assert_array_equal(broadcast[:, member], shared)


@pytest.mark.parametrize('members', [1, 3])
def test_each_member_of_a_dense_layer_is_a_lone_dense_layer(members):
  layer = member_axis.Dense(4, activation='relu', name='dense')
  inputs = tf.random.stateless_normal([5, members, 6], seed=[1, 2])
  outputs = layer(inputs)
  assert outputs.shape == (5, members, 4)
  for member in range(members):
    expected = tf.nn.relu(
        inputs[:, member] @ layer.kernel[member] + layer.bias[member])
    np.testing.assert_allclose(outputs[:, member], expected, rtol=1e-5,
                               atol=1e-6)


def test_members_start_from_their_own_glorot_draws():
  layer = member_axis.Dense(64)
  layer(tf.zeros([1, 3, 32]))
  kernel = layer.kernel.numpy()
  limit = math.sqrt(6.0 / (32 + 64))
  assert np.abs(kernel).max() <= limit
  # Drawn over each member's own fans, not shrunk by the member axis.
  assert np.abs(kernel).max() > 0.9 * limit
  assert not np.allclose(kernel[0], kernel[1])


def test_the_mean_averages_over_the_members():
  per_member = tf.constant([[[1.0, 4.0], [3.0, 8.0]]])
  np.testing.assert_allclose(member_axis.Mean()(per_member), [[2.0, 6.0]])


@pytest.mark.parametrize('members', [1, 2])
def test_the_mean_is_of_the_activated_members(members):
  logits = tf.random.stateless_normal([4, members, 3], seed=[3, 4])
  np.testing.assert_allclose(
      member_axis.Mean('softmax')(logits),
      tf.reduce_mean(tf.nn.softmax(logits), axis=1), rtol=1e-6)


def test_one_members_activation_keeps_its_logits_as_in_a_lone_model():
  """Keras's cross-entropies then read those logits, not clipped probabilities."""
  heads = {}

  @tf.function
  def activate(logits: tf.Tensor) -> tf.Tensor:
    heads['one member'] = member_axis.Mean('sigmoid')(logits[:, :1])
    heads['two members'] = member_axis.Mean('sigmoid')(logits)
    return heads['one member']

  activate(tf.zeros([3, 2, 1]))
  assert hasattr(heads['one member'], '_keras_logits')
  assert not hasattr(heads['two members'], '_keras_logits')
