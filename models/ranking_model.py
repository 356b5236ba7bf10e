"""The paper's ranking network, made multitask.

A user side (id, pooled watch history, demographics, user context) and a movie
side (id, genres, movie context) are each mapped to a representation; the tower
scores their combination and three heads read the tower. The movie embedding
table is shared by the target movie and the history, as in the paper.
"""

import dataclasses

import tensorflow as tf

from contract import features
from models import hyperparameters
from models import interactions
from models import pooling

USER_CONTEXT = (features.USER_RATING_COUNT, features.SECONDS_SINCE_PREVIOUS,
                features.EXAMPLE_AGE)
MOVIE_CONTEXT = (features.MOVIE_RATING_COUNT, features.MOVIE_YEAR)
# Initial output of the rating head, near ml-1m's mean rating, so training
# starts from the global-mean baseline instead of from zero.
RATING_PRIOR = 3.6


@dataclasses.dataclass(frozen=True)
class VocabularySizes:
  """Embedding table sizes, each the Transform's vocabulary plus one OOV row."""
  movie: int
  user: int
  genre: int
  zip_prefix: int
  gender: int
  age: int
  occupation: int


def _scalar_input(name: str, dtype: tf.DType) -> tf.keras.Input:
  return tf.keras.Input(shape=(), dtype=dtype, name=name)


def _ragged_input(name: str) -> tf.keras.Input:
  return tf.keras.Input(shape=(None,), dtype=tf.int64, ragged=True, name=name)


def _continuous(inputs: dict[str, tf.Tensor],
                bases: tuple[str, ...]) -> tf.Tensor:
  """Stacks the x, x**2 and sqrt(x) columns of the given continuous features."""
  return tf.stack([inputs[f'{base}{power}'] for base in bases
                   for power in features.CONTINUOUS_POWERS], axis=1)


def model_inputs(config: hyperparameters.ModelConfig) -> dict[str, tf.keras.Input]:
  """The transformed features the model reads, as Keras inputs."""
  inputs = {name: _scalar_input(name, tf.int64) for name in (
      features.USER_INDEX, features.MOVIE_INDEX, features.GENDER_INDEX,
      features.AGE_INDEX, features.OCCUPATION_INDEX,
      features.ZIP_PREFIX_INDEX)}
  inputs.update({name: _ragged_input(name) for name in (
      features.HISTORY_INDICES, features.GENRE_INDICES)})
  inputs.update({name: _scalar_input(name, tf.float32)
                 for name in features.continuous_feature_names()})
  if config.use_history_ratings:
    inputs[features.HISTORY_RATING_VALUES] = tf.keras.Input(
        shape=(None,), dtype=tf.float32, ragged=True,
        name=features.HISTORY_RATING_VALUES)
  if config.factor_dim and config.flipped_factors:
    inputs[features.RATER_INDICES] = _ragged_input(features.RATER_INDICES)
  return inputs


def _regularized_embedding(rows: int, dim: int, l2: float,
                           name: str) -> tf.keras.layers.Embedding:
  return tf.keras.layers.Embedding(
      rows, dim, embeddings_regularizer=tf.keras.regularizers.l2(l2),
      name=name)


class RatedHistory(tf.keras.layers.Layer):
  """Each history movie as [embedding, embedding * centered rating, centered rating].

  Pooled, the three parts give the history's mean, a mean that leans towards
  what the user liked and away from what they did not, and the user's mean
  earlier rating. HistoryVectors pools them without building them, and
  gives the newest movies' slots these parts. The Transform guarantees one
  rating per history movie, so the flat values line up.
  """

  def call(self, history: tf.RaggedTensor,
           ratings: tf.RaggedTensor) -> tf.RaggedTensor:
    embeddings = history.flat_values
    centered = ratings.flat_values[:, tf.newaxis] - RATING_PRIOR
    return history.with_flat_values(
        tf.concat([embeddings, embeddings * centered, centered], axis=1))


class HistoryVectors(tf.keras.layers.Layer):
  """The watch history (with its ratings, if given) as fixed-size vectors.

  The vectors pooling.HistoryEncoder gives for the history's embeddings,
  or for its RatedHistory when the ratings are given: one pooled vector per
  recency decay (1.0 is the paper's plain mean) and the newest movies in
  their own slots. The pooled vectors are weighted sums of the embedding
  table's rows (pooling.weighted_embedding_sums), so the history's
  embeddings are never gathered. The ratings matter because users rate in
  sessions: their latest ratings predict the next one better than their
  all-time mean (benchmarks/rating_drift.py).
  """

  def __init__(self, movie_embedding: tf.keras.layers.Embedding,
               decays: tuple[float, ...], newest_movies: int, **kwargs):
    super().__init__(**kwargs)
    self.movie_embedding = movie_embedding
    self.decays = tuple(decays)
    self.newest_movies = newest_movies
    self.newest = (pooling.NewestEmbeddings(newest_movies, name='newest_movies')
                   if newest_movies else None)
    self.rated_newest = (RatedHistory(name='rated_newest')
                         if newest_movies else None)

  def call(self, history: tf.RaggedTensor,
           ratings: tf.RaggedTensor | None = None) -> list[tf.Tensor]:
    weights = [pooling.recency_weights(history, decay)
               for decay in self.decays]
    table = self.movie_embedding.embeddings
    if ratings is None:
      vectors = pooling.weighted_embedding_sums(history, weights, table)
    else:
      centered = ratings.flat_values - RATING_PRIOR
      sums = pooling.weighted_embedding_sums(
          history, [column for weight in weights
                    for column in (weight, weight * centered)], table)
      vectors = [
          tf.concat([sums[2 * i], sums[2 * i + 1], tf.math.unsorted_segment_sum(
              weight * centered, history.value_rowids(),
              history.nrows())[:, tf.newaxis]], axis=1)
          for i, weight in enumerate(weights)]
    if self.newest is not None:
      newest = self.movie_embedding(history[:, -self.newest_movies:])
      if ratings is not None:
        newest = self.rated_newest(newest, ratings[:, -self.newest_movies:])
      vectors.append(self.newest(newest))
    return vectors


def _user_history(inputs: dict[str, tf.Tensor],
                  movie_embedding: tf.keras.layers.Embedding,
                  config: hyperparameters.ModelConfig) -> list[tf.Tensor]:
  """The history's vectors; `movie_embedding` must be built (HistoryVectors reads its table)."""
  encoder = HistoryVectors(movie_embedding, config.history_decays,
                           config.newest_movies, name='history_vectors')
  if config.use_history_ratings:
    return encoder(inputs[features.HISTORY_INDICES],
                   inputs[features.HISTORY_RATING_VALUES])
  return encoder(inputs[features.HISTORY_INDICES])


def build_ranking_model(sizes: VocabularySizes,
                        config: hyperparameters.ModelConfig,
                        name: str = 'ranking') -> tf.keras.Model:
  """A Keras model from transformed features to the three heads.

  The model also exposes `user_representation` and `movie_representation`
  outputs through `representation_model()`.
  """
  inputs = model_inputs(config)
  movie_embedding = _regularized_embedding(
      sizes.movie, config.movie_embedding_dim, config.l2, 'movie_embedding')
  target_movie = movie_embedding(inputs[features.MOVIE_INDEX])

  def small(name: str, rows: int) -> tf.Tensor:
    return tf.keras.layers.Embedding(
        rows, config.small_embedding_dim, name=f'{name}_embedding')(
            inputs[f'{name}_index'])

  user_features = tf.concat([
      _regularized_embedding(sizes.user, config.user_embedding_dim, config.l2,
                             'user_embedding')(inputs[features.USER_INDEX]),
      *_user_history(inputs, movie_embedding, config),
      small('gender', sizes.gender), small('age', sizes.age),
      small('occupation', sizes.occupation),
      small('zip_prefix', sizes.zip_prefix),
      _continuous(inputs, USER_CONTEXT),
  ], axis=1)
  genre_embedding = tf.keras.layers.Embedding(
      sizes.genre, config.small_embedding_dim, name='genre_embedding')
  movie_features = tf.concat([
      target_movie,
      pooling.MaskedMeanPooling(name='genre_pooling')(
          genre_embedding(inputs[features.GENRE_INDICES])),
      _continuous(inputs, MOVIE_CONTEXT),
  ], axis=1)

  dim = config.movie_embedding_dim
  user_vector = tf.keras.layers.Dense(
      dim, activation='relu', name='user_representation')(user_features)
  movie_vector = tf.keras.layers.Dense(
      dim, activation='relu', name='movie_representation')(movie_features)

  tower = tf.concat([user_vector, movie_vector, user_vector * movie_vector],
                    axis=1)
  for i, units in enumerate(config.hidden_units):
    tower = tf.keras.layers.Dense(
        units, activation='relu',
        kernel_regularizer=tf.keras.regularizers.l2(config.l2),
        name=f'tower_{i}')(tower)
    tower = tf.keras.layers.Dropout(config.dropout)(tower)

  rating_prior = tf.keras.initializers.Constant(RATING_PRIOR)
  if config.factor_dim:
    factorization = interactions.SvdPlusPlus(
        sizes.user, sizes.movie, config.factor_dim, config.factor_l2,
        config.bias_l2, flipped=config.flipped_factors,
        name='svd_plus_plus')(
            inputs[features.USER_INDEX], inputs[features.MOVIE_INDEX],
            inputs[features.HISTORY_INDICES],
            inputs.get(features.RATER_INDICES))
    rating = tf.keras.layers.Add(name=features.RATING_HEAD)([
        tf.keras.layers.Dense(1, bias_initializer=rating_prior,
                              name='tower_rating')(tower), factorization])
    tower = tf.concat([tower, factorization], axis=1)
  else:
    rating = tf.keras.layers.Dense(1, bias_initializer=rating_prior,
                                   name=features.RATING_HEAD)(tower)
  stars = tf.keras.layers.Dense(
      features.NUM_STARS, activation='softmax',
      name=features.STARS_HEAD)(tower)
  liked = tf.keras.layers.Dense(
      1, activation='sigmoid', name=features.LIKED_HEAD)(tower)
  return tf.keras.Model(
      inputs=inputs,
      outputs={features.RATING_HEAD: rating, features.STARS_HEAD: stars,
               features.LIKED_HEAD: liked},
      name=name)


def member_name(index: int) -> str:
  """The name of an averaged model's member."""
  return f'ranking_member_{index}'


def averaged_model(members: list[tf.keras.Model],
                   config: hyperparameters.ModelConfig) -> tf.keras.Model:
  """One model whose every head is the mean of the members' heads.

  Members trained apart, each from its own initialization and batch order,
  err apart, so their mean errs less; serving stays one signature.
  """
  inputs = model_inputs(config)
  outputs = [member(inputs) for member in members]
  return tf.keras.Model(
      inputs=inputs,
      outputs={head: tf.keras.layers.Average(name=head)(
          [output[head] for output in outputs]) for head in features.HEADS},
      name='ranking')


def representation_model(model: tf.keras.Model) -> tf.keras.Model:
  """The learned user and movie vectors that feed the ranking tower.

  Of an averaged model (averaged_model), its first member's.
  """
  if any(layer.name == member_name(0) for layer in model.layers):
    model = model.get_layer(member_name(0))
  return tf.keras.Model(
      inputs=model.inputs,
      outputs={
          'user_representation':
              model.get_layer('user_representation').output,
          'movie_representation':
              model.get_layer('movie_representation').output,
      })
