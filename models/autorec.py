"""I-AutoRec (Sedhain et al., WWW 2015) beside the ranking members.

An autoencoder reconstructs each movie's column of train ratings through a
small sigmoid layer: the layer's output is the movie's code, and the output
layer's rows are the users' weights. A rating is then code(movie) .
weights(user) + bias(user): a factorization whose movie side is learned from
the movie's whole column of ratings at once, where the ranking members learn
theirs one example at a time. Its errors differ from the members'; their
blend is what pays (ModelConfig.autorec_weight).

What serving reads is two frozen tables looked up by the example's user and
movie ids, like every embedding: trained on the train split, they hold what
any learned movie or user vector holds, and no feature of an example reads
anything later than it.
"""

from typing import NamedTuple

import tensorflow as tf

from models import hyperparameters

SEED = 1


class AutoRecRating(tf.keras.layers.Layer):
  """code(movie) . weights(user) + bias(user), from frozen tables.

  The tables are filled by `train_item_autorec` after the autoencoder is
  trained; in a SavedModel they are constants, not trainable weights.
  """

  def __init__(self, users: int, movies: int, hidden: int, **kwargs):
    super().__init__(trainable=False, **kwargs)
    self.users, self.movies, self.hidden = users, movies, hidden
    self.movie_codes = self.add_weight(
        name='movie_codes', shape=(movies, hidden), initializer='zeros',
        trainable=False)
    self.user_weights = self.add_weight(
        name='user_weights', shape=(users, hidden), initializer='zeros',
        trainable=False)
    self.user_bias = self.add_weight(
        name='user_bias', shape=(users,), initializer='zeros',
        trainable=False)

  def call(self, user_index: tf.Tensor, movie_index: tf.Tensor) -> tf.Tensor:
    """One rating per example, [batch, 1]."""
    rating = tf.reduce_sum(
        tf.gather(self.movie_codes, movie_index) *
        tf.gather(self.user_weights, user_index), axis=-1) + tf.gather(
            self.user_bias, user_index)
    return rating[:, tf.newaxis]

  def get_config(self) -> dict:
    return {**super().get_config(), 'users': self.users,
            'movies': self.movies, 'hidden': self.hidden}


class RatingColumns(NamedTuple):
  """Each movie's column of train ratings, kept sparse: its raters and ratings.

  A dense movies-by-users matrix grows with their product: ml-1m's is 3,707
  by 6,041 (90 MB), 1M synthetic ratings over 10,000 movies and 7,000 users
  took 280 MB, and ml-25m's 62,424 by 162,542 would take 41 GB. So only a
  step's batch of columns is made dense. The step itself stays dense:
  reconstructing only the observed cells (gathering a code and a user's
  weights per cell) took 12.6 s for 2 epochs of ml-1m's shape against 5.2 s,
  and paid only at 0.3% density (2M ratings of 20,000 movies by 30,000
  users: 83 s against 112; load 1-3).
  """
  raters: tf.RaggedTensor  # [movies, raters] user indices, ascending
  ratings: tf.RaggedTensor  # [movies, raters] their ratings
  users: int

  def dense(self, movie_batch: tf.Tensor) -> tf.Tensor:
    """The batch's columns, [batch, users]: each cell its rating, else 0."""
    raters = tf.gather(self.raters, movie_batch)
    return tf.scatter_nd(
        tf.stack([raters.value_rowids(), raters.flat_values], axis=1),
        tf.gather(self.ratings, movie_batch).flat_values,
        tf.stack([tf.size(movie_batch, out_type=tf.int64),
                  tf.constant(self.users, tf.int64)]))


def rating_columns(user_index: tf.Tensor, movie_index: tf.Tensor,
                   rating: tf.Tensor, users: int,
                   movies: int) -> RatingColumns:
  """The train ratings grouped by movie. A pair rated twice keeps the sum,
  which MovieLens never has."""
  user_index = tf.cast(tf.reshape(user_index, [-1]), tf.int64)
  movie_index = tf.cast(tf.reshape(movie_index, [-1]), tf.int64)
  order = tf.argsort(movie_index * users + user_index, stable=True)
  by_movie = tf.gather(movie_index, order)

  def column(values: tf.Tensor) -> tf.RaggedTensor:
    return tf.RaggedTensor.from_value_rowids(tf.gather(values, order),
                                             by_movie, nrows=movies)

  return RatingColumns(
      column(user_index),
      column(tf.cast(tf.reshape(rating, [-1]), tf.float32)), users)


def train_item_autorec(user_index: tf.Tensor, movie_index: tf.Tensor,
                       rating: tf.Tensor, users: int, movies: int,
                       config: hyperparameters.ModelConfig) -> AutoRecRating:
  """Trains I-AutoRec on the train ratings; returns its frozen rating layer.

  The loss is the squared error over the observed cells only, plus
  autorec_l2 / 2 times the squared weights of both layers, as in the paper,
  minimized with Adam over batches of movies, each batch's columns made
  dense from RatingColumns only while its step runs. The learning rate decays
  to 0 on a cosine: on the random90 train split's carve-out, at a constant
  rate the RMSE swung by 0.003 from one tenth epoch to the next and then rose
  (L2 100: 0.8425 at epoch 60, 0.8563 at 100); decayed over 100 epochs it
  settled at 0.8353 (L2 100) and 0.8345 (L2 200). Users without a train
  rating (the vocabulary's OOV row) get the mean user's weights and bias,
  where the trained ones would be zero and predict a rating of 0.
  """
  columns = rating_columns(user_index, movie_index, rating, users, movies)
  hidden = config.autorec_hidden
  initializer = tf.keras.initializers.GlorotUniform(seed=SEED)
  encoder = tf.Variable(initializer((users, hidden)))
  encoder_bias = tf.Variable(tf.zeros(hidden))
  decoder = tf.Variable(initializer((hidden, users)))
  decoder_bias = tf.Variable(tf.zeros(users))
  variables = [encoder, encoder_bias, decoder, decoder_bias]
  batch_size = config.autorec_batch_size
  steps = config.autorec_epochs * -(-movies // batch_size)
  optimizer = tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.CosineDecay(
      config.autorec_learning_rate, steps))

  def codes(rows: tf.Tensor) -> tf.Tensor:
    return tf.sigmoid(tf.matmul(rows, encoder) + encoder_bias)

  @tf.function
  def step(batch: tf.Tensor) -> None:
    rows = columns.dense(batch)
    share = tf.cast(tf.size(batch), tf.float32) / movies
    with tf.GradientTape() as tape:
      reconstructed = tf.matmul(codes(rows), decoder) + decoder_bias
      observed = tf.cast(rows > 0, tf.float32)
      loss = (tf.reduce_sum(observed * tf.square(reconstructed - rows)) +
              config.autorec_l2 / 2 * share *
              (tf.reduce_sum(tf.square(encoder)) +
               tf.reduce_sum(tf.square(decoder))))
    optimizer.apply_gradients(
        zip(tape.gradient(loss, variables), variables))

  for epoch in range(config.autorec_epochs):
    order = tf.random.experimental.stateless_shuffle(
        tf.range(movies, dtype=tf.int64), seed=[SEED, epoch])
    for start in range(0, movies, batch_size):
      step(order[start:start + batch_size])

  rated = tf.math.bincount(tf.cast(columns.raters.flat_values, tf.int32),
                           minlength=users, maxlength=users) > 0
  user_weights = tf.transpose(decoder)
  layer = AutoRecRating(users, movies, hidden, name='autorec_rating')
  layer.movie_codes.assign(tf.concat(
      [codes(columns.dense(tf.range(start, min(start + batch_size, movies),
                                    dtype=tf.int64)))
       for start in range(0, movies, batch_size)], axis=0))
  layer.user_weights.assign(tf.where(
      rated[:, tf.newaxis], user_weights,
      tf.reduce_mean(tf.boolean_mask(user_weights, rated), axis=0)))
  layer.user_bias.assign(tf.where(
      rated, decoder_bias,
      tf.reduce_mean(tf.boolean_mask(decoder_bias, rated))))
  return layer
