"""The paper's candidate generation network: a user vector scored against every movie.

The user tower pools the history (one pooled vector per recency decay, so the
paper's plain mean can sit beside the newest movies), adds demographics, the
user's activity and the example age, and maps them through ReLU layers to a
user vector. A movie's score is that vector's dot product with the movie's row
of the softmax weights, plus its bias. The loss lives in models/tasks.py.
"""

import tensorflow as tf

from contract import features
from models import hyperparameters
from models import pooling
from models import ranking_model
from models import tasks

USER_INDICES = (features.GENDER_INDEX, features.AGE_INDEX,
                features.OCCUPATION_INDEX, features.ZIP_PREFIX_INDEX)
USER_CONTINUOUS = tuple(
    f'{base}{power}'
    for base in (features.USER_RATING_COUNT, features.EXAMPLE_AGE)
    for power in features.CONTINUOUS_POWERS)
# Serving sets these to 0, the paper's way of asking for the present.
EXAMPLE_AGE_INPUTS = tuple(f'{features.EXAMPLE_AGE}{power}'
                           for power in features.CONTINUOUS_POWERS)
USER_INPUT_NAMES = USER_INDICES + (features.HISTORY_INDICES,) + USER_CONTINUOUS


def user_inputs() -> dict[str, tf.keras.Input]:
  """The transformed features the user tower reads, as Keras inputs."""
  inputs = {name: tf.keras.Input(shape=(), dtype=tf.int64, name=name)
            for name in USER_INDICES}
  inputs[features.HISTORY_INDICES] = tf.keras.Input(
      shape=(None,), dtype=tf.int64, ragged=True,
      name=features.HISTORY_INDICES)
  inputs.update({name: tf.keras.Input(shape=(), dtype=tf.float32, name=name)
                 for name in USER_CONTINUOUS})
  return inputs


def build_user_tower(sizes: ranking_model.VocabularySizes,
                     config: hyperparameters.RetrievalConfig) -> tf.keras.Model:
  """Transformed user features to the user vector."""
  inputs = user_inputs()
  history = tf.keras.layers.Embedding(
      sizes.movie, config.movie_embedding_dim,
      embeddings_regularizer=tf.keras.regularizers.l2(config.l2),
      name='history_embedding')(inputs[features.HISTORY_INDICES])
  pooled = pooling.encode_history(history, config.history_decays,
                                  config.newest_movies)

  def small(name: str, rows: int) -> tf.Tensor:
    return tf.keras.layers.Embedding(
        rows, config.small_embedding_dim, name=f'{name}_embedding')(
            inputs[f'{name}_index'])

  tower = tf.concat(pooled + [
      small('gender', sizes.gender), small('age', sizes.age),
      small('occupation', sizes.occupation),
      small('zip_prefix', sizes.zip_prefix),
      tf.stack([inputs[name] for name in USER_CONTINUOUS], axis=1),
  ], axis=1)
  for i, units in enumerate(config.hidden_units):
    tower = tf.keras.layers.Dense(units, activation='relu',
                                  name=f'user_tower_{i}')(tower)
  user_vector = tf.keras.layers.Dense(config.user_vector_dim,
                                      name='user_vector')(tower)
  return tf.keras.Model(inputs=inputs, outputs=user_vector, name='user_tower')


class RetrievalModel(tf.keras.Model):
  """The user tower and the softmax weights of every movie in the vocabulary.

  Calling it gives user vectors; `scores` rates every movie for them. The
  last row is the vocabulary's out-of-vocabulary bucket, never a candidate.
  """

  def __init__(self, sizes: ranking_model.VocabularySizes,
               config: hyperparameters.RetrievalConfig, **kwargs):
    super().__init__(name='retrieval', **kwargs)
    self.user_tower = build_user_tower(sizes, config)
    self.movie_weights = self.add_weight(
        name='movie_weights', shape=(sizes.movie, config.user_vector_dim),
        initializer=tf.keras.initializers.TruncatedNormal(stddev=0.05),
        regularizer=tf.keras.regularizers.l2(config.l2))
    self.movie_biases = self.add_weight(
        name='movie_biases', shape=(sizes.movie,), initializer='zeros')
    self.task = tasks.SampledSoftmaxRetrieval(
        num_sampled=min(config.num_sampled, sizes.movie - 1),
        num_movies=sizes.movie)
    self.loss_tracker = tf.keras.metrics.Mean(name='loss')

  @property
  def metrics(self) -> list[tf.keras.metrics.Metric]:
    """Keras resets these every epoch; the loss is the only one."""
    return [self.loss_tracker]

  def call(self, inputs: dict[str, tf.Tensor],
           training: bool = False) -> tf.Tensor:
    return self.user_tower(inputs, training=training)

  def scores(self, user_vectors: tf.Tensor) -> tf.Tensor:
    """[batch, movies] scores; the out-of-vocabulary column is -inf."""
    scores = tf.matmul(user_vectors, self.movie_weights,
                       transpose_b=True) + self.movie_biases
    is_oov = tf.one_hot(tf.shape(self.movie_biases)[0] - 1,
                        tf.shape(self.movie_biases)[0], on_value=True,
                        off_value=False)
    return tf.where(is_oov, tf.constant(-float('inf')), scores)

  def test_step(self, data: tuple[dict[str, tf.Tensor], tf.Tensor]) -> dict:
    """Validation loss: cross-entropy of the full softmax over every movie.

    Unlike the sampled training loss it has no sampling noise, so epochs can
    be compared by it.
    """
    inputs, targets = data
    logits = self.scores(self(inputs, training=False))
    self.loss_tracker.update_state(tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.cast(targets, tf.int64), logits=logits)))
    return {'loss': self.loss_tracker.result()}

  def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
    """The task's loss on the target movies plus the weights' L2 penalty."""
    del x, sample_weight
    loss = self.task.loss(y_pred, self.movie_weights, self.movie_biases, y)
    if self.losses:
      loss += tf.add_n(self.losses)
    self.loss_tracker.update_state(loss)
    return loss
