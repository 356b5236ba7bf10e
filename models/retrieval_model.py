"""The paper's candidate generation network: a user vector scored against every movie.

The user tower pools the history (one pooled vector per recency decay, so the
paper's plain mean can sit beside the newest movies), adds demographics, the
user's activity, the time since their previous rating and the example age,
and maps them through ReLU layers to a user vector. A movie's score is that
vector's dot product with the movie's row of the softmax weights, plus its
bias. The loss lives in models/tasks.py.

Serving and validation pass one example per row; training passes chunks of
users' rating sequences (models/retrieval_sequences.py), which give every
target the same history vectors in about half the time per target.
"""

import tensorflow as tf

from contract import features
from models import history_windows
from models import hyperparameters
from models import pooling
from models import ranking_model
from models import retrieval_sequences
from models import tasks

# The time since the user's previous rating tells the tower whether a request
# continues a session of ratings (ml-1m's users rated in batches): on the
# carve-out of the last1 train split (benchmarks/tune_retrieval.py) it took
# HR@10 from 0.312 to 0.345 and NDCG@10 from 0.176 to 0.198 after 5 epochs.
USER_CONTINUOUS = tuple(
    f'{base}{power}'
    for base in (features.USER_RATING_COUNT, features.SECONDS_SINCE_PREVIOUS,
                 features.EXAMPLE_AGE)
    for power in features.CONTINUOUS_POWERS)
# Serving sets these to 0, the paper's way of asking for the present.
EXAMPLE_AGE_INPUTS = tuple(f'{features.EXAMPLE_AGE}{power}'
                           for power in features.CONTINUOUS_POWERS)
# Every input the user tower may read: the demographics only where the
# examples' format has them (VocabularySizes.demographics).
USER_INPUT_NAMES = (features.DEMOGRAPHIC_INDICES + (features.HISTORY_INDICES,)
                    + USER_CONTINUOUS)


class UserTower(tf.keras.Model):
  """Transformed user features to the user vector.

  `call` takes one example per row with its ragged history;
  `from_sequence_chunks` takes chunks of sequences and gives the same vector
  for each target place as `call` gives for that target's example.
  """

  def __init__(self, sizes: ranking_model.VocabularySizes,
               config: hyperparameters.RetrievalConfig, **kwargs):
    super().__init__(name='user_tower', **kwargs)
    self.history_embedding = tf.keras.layers.Embedding(
        sizes.movie, config.movie_embedding_dim,
        embeddings_regularizer=tf.keras.regularizers.l2(config.l2),
        name='history_embedding')
    self.history_encoder = pooling.HistoryEncoder(
        config.history_decays, config.newest_movies, name='history_encoder')
    self.history_windows = history_windows.HistoryWindows(
        config.history_decays, config.newest_movies, name='history_windows')
    self.context_embeddings = {
        name: tf.keras.layers.Embedding(
            rows, config.small_embedding_dim,
            name=name.replace('_index', '_embedding'))
        for name, rows in sizes.demographics.items()}
    self.hidden_layers = [
        tf.keras.layers.Dense(units, activation='relu', name=f'user_tower_{i}')
        for i, units in enumerate(config.hidden_units)]
    self.user_vector = tf.keras.layers.Dense(config.user_vector_dim,
                                             name='user_vector')
    self.continuous_names = tuple(
        name for name in USER_CONTINUOUS if config.time_since_previous
        or not name.startswith(features.SECONDS_SINCE_PREVIOUS))

  def call(self, inputs: dict[str, tf.Tensor | tf.RaggedTensor],
           training: bool = False) -> tf.Tensor:
    """[examples, user_vector_dim] for the features of USER_INPUT_NAMES."""
    history = self.history_embedding(inputs[features.HISTORY_INDICES])
    return self._user_vectors(self.history_encoder(history), inputs)

  def from_sequence_chunks(self, chunks: dict[str, tf.Tensor]) -> tf.Tensor:
    """[targets, user_vector_dim] for a batch of retrieval_training.sequence_batches."""
    movies = chunks[retrieval_sequences.WINDOW_MOVIES]
    has_movie = tf.cast(movies != retrieval_sequences.NO_MOVIE, tf.float32)
    embedded = self.history_embedding(
        tf.maximum(movies, 0)) * has_movie[..., tf.newaxis]
    return self._user_vectors(
        self.history_windows(embedded, chunks[retrieval_sequences.IS_TARGET],
                             chunks[retrieval_sequences.HISTORY_LENGTH]),
        chunks)

  def _user_vectors(self, history_vectors: list[tf.Tensor],
                    inputs: dict[str, tf.Tensor]) -> tf.Tensor:
    """The history vectors beside the user's context, through the ReLU layers."""
    context = [embedding(inputs[name])
               for name, embedding in self.context_embeddings.items()]
    continuous = tf.stack([inputs[name] for name in self.continuous_names],
                          axis=1)
    tower = tf.concat(history_vectors + context + [continuous], axis=1)
    for layer in self.hidden_layers:
      tower = layer(tower)
    return self.user_vector(tower)


class RetrievalModel(tf.keras.Model):
  """The user tower and the softmax weights of every movie in the vocabulary.

  Calling it gives user vectors; `scores` rates every movie for them. The
  last row is the vocabulary's out-of-vocabulary bucket, never a candidate.
  Training steps take sequence chunks, validation steps one example per row.
  """

  def __init__(self, sizes: ranking_model.VocabularySizes,
               config: hyperparameters.RetrievalConfig, **kwargs):
    super().__init__(name='retrieval', **kwargs)
    self.user_tower = UserTower(sizes, config)
    self.movie_weights = self.add_weight(
        name='movie_weights', shape=(sizes.movie, config.user_vector_dim),
        initializer=tf.keras.initializers.TruncatedNormal(stddev=0.05),
        regularizer=tf.keras.regularizers.l2(config.l2))
    self.movie_biases = self.add_weight(
        name='movie_biases', shape=(sizes.movie,), initializer='zeros')
    # sizes.movie counts the out-of-vocabulary row too.
    self.task = tasks.FullSoftmaxRetrieval() if (
        sizes.movie - 1 <= config.full_softmax_max_movies) else (
        tasks.SampledSoftmaxRetrieval(
            num_sampled=min(config.num_sampled, sizes.movie - 1),
            num_movies=sizes.movie))
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

  def train_step(self, data: tuple[dict[str, tf.Tensor], tf.Tensor]) -> dict:
    """One step on a batch of sequence chunks and their target movies.

    On several workers each replica's gradients are summed, so each takes
    its share of the mean loss, as Keras's compiled losses do.
    """
    chunks, targets = data
    with tf.GradientTape() as tape:
      loss = self.compute_loss(
          y=targets, y_pred=self.user_tower.from_sequence_chunks(chunks))
      replica_share = loss / self.distribute_strategy.num_replicas_in_sync
    self.optimizer.minimize(replica_share, self.trainable_variables,
                            tape=tape)
    return {'loss': self.loss_tracker.result()}

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
