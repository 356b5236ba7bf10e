"""The member axis: the averaged ranking model's members side by side in one model.

The members are trained apart, one after another. Served as separate
models, each request ran every op once per member. Packed, each layer holds
every member's weights side by side and each activation carries a member
axis, [batch, members, width], so one op does the work of all members.
"""

import math

import tensorflow as tf


def split(side_by_side: tf.Tensor, members: int) -> tf.Tensor:
  """[batch, members * width], each member's columns in turn -> [batch, members, width]."""
  return tf.reshape(side_by_side,
                    [-1, members, side_by_side.shape[-1] // members])


def broadcast(shared: tf.Tensor, members: int) -> tf.Tensor:
  """A [batch, width] input every member reads alike -> [batch, members, width]."""
  return tf.broadcast_to(
      shared[:, tf.newaxis, :],
      [tf.shape(shared)[0], members, shared.shape[-1]])


class Dense(tf.keras.layers.Layer):
  """A dense layer per member: [batch, members, in] -> [batch, members, units].

  Each member's kernel is drawn as Keras draws a lone Dense layer's (Glorot
  uniform over its own in and out: Keras's initializer would count the
  member axis into the fans), and all members are applied in one einsum.
  """

  def __init__(self, units: int, activation: str | None = None,
               kernel_l2: float = 0.0,
               bias_initializer: str | tf.keras.initializers.Initializer = 'zeros',
               **kwargs):
    super().__init__(**kwargs)
    self.units = units
    self.activation = tf.keras.activations.get(activation)
    self.kernel_l2 = kernel_l2
    self.bias_initializer = tf.keras.initializers.get(bias_initializer)

  def build(self, input_shape: tf.TensorShape) -> None:
    members, width = int(input_shape[1]), int(input_shape[2])
    limit = math.sqrt(6.0 / (width + self.units))
    self.kernel = self.add_weight(
        name='kernel', shape=[members, width, self.units],
        initializer=tf.keras.initializers.RandomUniform(-limit, limit),
        regularizer=(tf.keras.regularizers.l2(self.kernel_l2)
                     if self.kernel_l2 else None))
    self.bias = self.add_weight(name='bias', shape=[members, self.units],
                                initializer=self.bias_initializer)
    super().build(input_shape)

  def call(self, inputs: tf.Tensor) -> tf.Tensor:
    if inputs.shape[1] == 1:
      # One member, as every member trains: a plain matmul. The einsum
      # here and a mean over the activations (Mean) together made an
      # epoch of 400,000 examples take 7.4-9.0 s against 7.2-7.7.
      outputs = (tf.matmul(inputs[:, 0], self.kernel[0]) +
                 self.bias[0])[:, tf.newaxis]
    else:
      outputs = tf.einsum('bmi,miu->bmu', inputs, self.kernel) + self.bias
    return self.activation(outputs)


class Mean(tf.keras.layers.Layer):
  """The members' mean of activation(x): [batch, members, width] -> [batch, width].

  With one member the activation is the last op, as in a lone model, so
  Keras's cross-entropies read the logits under a sigmoid or softmax instead
  of the clipped probabilities.
  """

  def __init__(self, activation: str | None = None, **kwargs):
    super().__init__(**kwargs)
    self.activation = tf.keras.activations.get(activation)

  def call(self, per_member: tf.Tensor) -> tf.Tensor:
    if per_member.shape[1] == 1:
      return self.activation(per_member[:, 0])
    return tf.reduce_mean(self.activation(per_member), axis=1)


def pack(member_weights: list[list[tf.Variable]],
         packed_weights: list[tf.Variable]) -> None:
  """Sets each packed weight to its members' weights, side by side.

  Each member is the one-member model; each packed weight is its members'
  concatenated along the one axis the member axis widens: the leading axis
  of Dense's weights, the columns of an embedding table.
  """
  for packed, parts in zip(packed_weights, zip(*member_weights), strict=True):
    widened = [axis for axis, (whole, part)
               in enumerate(zip(packed.shape, parts[0].shape)) if whole != part]
    packed.assign(tf.concat(parts, axis=widened[0] if widened else 0))
