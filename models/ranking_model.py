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
from models import member_axis
from models import pooling
from models import row_penalty

USER_CONTEXT = (features.USER_RATING_COUNT, features.SECONDS_SINCE_PREVIOUS,
                features.EXAMPLE_AGE)
MOVIE_CONTEXT = (features.MOVIE_RATING_COUNT, features.MOVIE_YEAR)
# Initial output of the rating head, near ml-1m's mean rating, so training
# starts from the global-mean baseline instead of from zero.
RATING_PRIOR = 3.6


@dataclasses.dataclass(frozen=True)
class VocabularySizes:
  """Embedding table sizes, each the Transform's vocabulary plus one OOV row.

  And the stars head's classes: the values of the examples' rating scale
  (contract/formats.py).
  """
  movie: int
  user: int
  genre: int
  # Each demographic index's rows (features.DEMOGRAPHIC_INDICES, in that
  # order); empty for a format without demographics.
  demographics: dict[str, int]
  stars: int


def _scalar_input(name: str, dtype: tf.DType) -> tf.keras.Input:
  return tf.keras.Input(shape=(), dtype=dtype, name=name)


def _ragged_input(name: str) -> tf.keras.Input:
  return tf.keras.Input(shape=(None,), dtype=tf.int64, ragged=True, name=name)


def _continuous(inputs: dict[str, tf.Tensor],
                bases: tuple[str, ...]) -> tf.Tensor:
  """Stacks the x, x**2 and sqrt(x) columns of the given continuous features."""
  return tf.stack([inputs[f'{base}{power}'] for base in bases
                   for power in features.CONTINUOUS_POWERS], axis=1)


def model_inputs(config: hyperparameters.ModelConfig,
                 sizes: VocabularySizes) -> dict[str, tf.keras.Input]:
  """The transformed features the model reads, as Keras inputs."""
  inputs = {name: _scalar_input(name, tf.int64) for name in (
      features.USER_INDEX, features.MOVIE_INDEX, *sizes.demographics)}
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


class DenselyReadEmbedding(row_penalty.RowL2Embedding):
  """An Embedding whose rows are gathered from a dense read of its table.

  For the movie table, which HistoryVectors also reads whole for its sparse
  product. A Keras Embedding gathers with a sparse read of the variable,
  and after one sparse read TF copies the variable on every dense read:
  the whole table, each training step and each request (2.4 MB for five
  members, 0.3-0.4 ms of op time per request of 100 candidates). A gather
  from a dense read gives the same rows and the same IndexedSlices
  gradient, and Adam updates the table densely, so nothing reads it
  sparsely. On full ml-1m's temporal train split, epochs of 400,000
  examples took 5.7-6.8 s against 6.0-8.4 s (one member, processes
  alternating); requests of 100 examples to five packed members took
  2.88 and 4.53 ms p50 and p99 against 2.93 and 4.83 ms (alternating
  request by request, load 1.5). A row-wise table (sparse_table_updates)
  is written sparsely by models/lazy_adam.py and read as rows everywhere
  else, so it gathers as a Keras Embedding does.
  """

  def call(self, ids: tf.Tensor | tf.RaggedTensor,
           training: bool | None = None) -> tf.Tensor | tf.RaggedTensor:
    if self.row_wise:
      return super().call(ids, training)
    return tf.gather(tf.convert_to_tensor(self.embeddings), ids)


def sparse_table_updates(sizes: VocabularySizes,
                         config: hyperparameters.ModelConfig) -> bool:
  """Whether the tables are penalized and updated on the rows a batch reads.

  Above config.dense_table_max_users; the model's layers
  (models/row_penalty.py) and its optimizer (models/lazy_adam.py) both
  follow it.
  """
  return sizes.user - 1 > config.dense_table_max_users


def _member_embedding(
    rows: int, dim: int, members: int, l2: float, name: str,
    row_l2_scale: float | None,
    layer: type[row_penalty.RowL2Embedding] = row_penalty.RowL2Embedding
) -> row_penalty.RowL2Embedding:
  """One table of every member's `dim`-wide rows side by side: [rows, members * dim].

  Its L2 penalty is the sum of the members' own: on the whole table, or
  given `row_l2_scale`, that times `l2` on the rows each batch reads
  (models/row_penalty.py).
  """
  if row_l2_scale is not None:
    return layer(rows, members * dim, row_l2=row_l2_scale * l2, name=name)
  return layer(
      rows, members * dim,
      embeddings_regularizer=tf.keras.regularizers.l2(l2) if l2 else None,
      name=name)


def centered_ratings(ratings: tf.Tensor) -> tf.Tensor:
  """Each rating minus RATING_PRIOR, and 0 where it is unknown.

  An unknown rating (features.UNKNOWN_RATING, an eval-split rating's value
  in the benchmarks' examples) adds nothing to a rating-weighted sum, where
  as a rating of 0 it would read as a very low one.
  """
  return tf.where(ratings != features.UNKNOWN_RATING, ratings - RATING_PRIOR,
                  tf.zeros_like(ratings))


def known_rating_weights(weights: tf.Tensor, ratings: tf.RaggedTensor
                         ) -> tuple[tf.Tensor, tf.Tensor]:
  """Each flat pooling weight over its row's total on known ratings, and that total.

  A row's weights on its known ratings sum to 1 (to 0 if it has none), so a
  pooled rating is the mean of the known ones, whatever share is unknown;
  an unknown rating's weight is 0. The total, [rows], is the share of the
  row's weight whose rating is known: 1 at serving, less where the
  benchmarks' examples hide eval ratings.
  """
  known_weights = tf.where(ratings.flat_values != features.UNKNOWN_RATING,
                           weights, tf.zeros_like(weights))
  rows = ratings.value_rowids()
  totals = tf.math.unsorted_segment_sum(known_weights, rows, ratings.nrows())
  return (tf.math.divide_no_nan(known_weights, tf.gather(totals, rows)),
          totals)


class RatedHistory(tf.keras.layers.Layer):
  """Each history movie as [embedding, embedding * centered rating, centered rating], per member.

  Pooled, the three parts give the history's mean, a mean that leans towards
  what the user liked and away from what they did not, and the user's mean
  earlier rating (HistoryVectors adds the known ratings' share).
  HistoryVectors pools them without building them, and gives the newest
  movies' slots these parts. The Transform guarantees one
  rating per history movie, so the flat values line up. An unknown rating
  centers to 0 (centered_ratings). The embeddings hold `members` members'
  columns side by side, and so does the result.
  """

  def __init__(self, members: int = 1, **kwargs):
    super().__init__(**kwargs)
    self.members = members

  def call(self, history: tf.RaggedTensor,
           ratings: tf.RaggedTensor) -> tf.RaggedTensor:
    embeddings = member_axis.split(history.flat_values, self.members)
    centered = member_axis.broadcast(
        centered_ratings(ratings.flat_values)[:, tf.newaxis], self.members)
    rated = tf.concat([embeddings, embeddings * centered, centered], axis=2)
    return history.with_flat_values(
        tf.reshape(rated, [-1, self.members * rated.shape[-1]]))


class HistoryVectors(tf.keras.layers.Layer):
  """The watch history (with its ratings, if given) as fixed-size vectors per member.

  The vectors pooling.HistoryEncoder gives for the history's embeddings,
  or for its RatedHistory when the ratings are given: one pooled vector per
  recency decay (1.0 is the paper's plain mean) and the newest movies in
  their own slots, each [batch, members, width]. The pooled vectors are
  weighted sums of the embedding table's rows
  (pooling.weighted_embedding_sums; a row-wise table gives only the
  batch's distinct rows, row_penalty.RowL2Embedding.pooled_table), so no
  embedding is gathered per history place, and one sum serves every
  member, whose columns sit side by side in the table. The ratings matter
  because users rate in sessions: their latest ratings predict the next
  one better than their all-time mean
  (benchmarks/rating_drift.py). The rating-weighted parts pool the known
  ratings only (known_rating_weights), and the share of the pooling weight
  on known ratings stands beside them: an eval-split rating's value is
  unknown in the benchmarks' examples, while at serving all are known
  (hyperparameters.ModelConfig.hidden_ratings_share gives the figures).
  """

  def __init__(self, movie_embedding: row_penalty.RowL2Embedding,
               decays: tuple[float, ...], newest_movies: int,
               members: int = 1, **kwargs):
    super().__init__(**kwargs)
    self.movie_embedding = movie_embedding
    self.decays = tuple(decays)
    self.newest_movies = newest_movies
    self.members = members
    self.newest = (pooling.NewestEmbeddings(newest_movies, name='newest_movies')
                   if newest_movies else None)
    self.rated_newest = (RatedHistory(members, name='rated_newest')
                         if newest_movies else None)

  def _split(self, side_by_side: tf.Tensor) -> tf.Tensor:
    return member_axis.split(side_by_side, self.members)

  def _newest_per_member(self, slots: tf.Tensor) -> tf.Tensor:
    """[batch, slots * members * width] -> [batch, members, slots * width]."""
    width = slots.shape[-1] // (self.newest_movies * self.members)
    by_slot = tf.reshape(slots, [-1, self.newest_movies, self.members, width])
    return tf.reshape(tf.transpose(by_slot, [0, 2, 1, 3]),
                      [-1, self.members, self.newest_movies * width])

  def call(self, history: tf.RaggedTensor,
           ratings: tf.RaggedTensor | None = None,
           training: bool | None = None) -> list[tf.Tensor]:
    weights = [pooling.recency_weights(history, decay)
               for decay in self.decays]
    table, table_ids = self.movie_embedding.pooled_table(history, training)
    if ratings is None:
      vectors = [self._split(vector) for vector in
                 pooling.weighted_embedding_sums(table_ids, weights, table)]
    else:
      centered = centered_ratings(ratings.flat_values)
      known = [known_rating_weights(weight, ratings) for weight in weights]
      rated = [known_weight * centered for known_weight, _ in known]
      sums = pooling.weighted_embedding_sums(
          table_ids, [column for weight, rated_weight in zip(weights, rated)
                    for column in (weight, rated_weight)], table)
      vectors = [
          tf.concat([
              self._split(sums[2 * i]), self._split(sums[2 * i + 1]),
              member_axis.broadcast(tf.stack([
                  tf.math.unsorted_segment_sum(
                      rated_weight, history.value_rowids(), history.nrows()),
                  known_share], axis=1), self.members)], axis=2)
          for i, (rated_weight, (_, known_share)) in enumerate(
              zip(rated, known))]
    if self.newest is not None:
      newest = self.movie_embedding(history[:, -self.newest_movies:])
      if ratings is not None:
        newest = self.rated_newest(newest, ratings[:, -self.newest_movies:])
      vectors.append(self._newest_per_member(self.newest(newest)))
    return vectors


def _user_history(inputs: dict[str, tf.Tensor],
                  movie_embedding: row_penalty.RowL2Embedding,
                  config: hyperparameters.ModelConfig,
                  members: int) -> list[tf.Tensor]:
  """The history's vectors; `movie_embedding` must be built (HistoryVectors reads its table)."""
  encoder = HistoryVectors(movie_embedding, config.history_decays,
                           config.newest_movies, members,
                           name='history_vectors')
  if config.use_history_ratings:
    return encoder(inputs[features.HISTORY_INDICES],
                   inputs[features.HISTORY_RATING_VALUES])
  return encoder(inputs[features.HISTORY_INDICES])


def build_ranking_model(sizes: VocabularySizes,
                        config: hyperparameters.ModelConfig,
                        members: int = 1) -> tf.keras.Model:
  """A Keras model from transformed features to the three heads.

  With one member it is the model each member trains as; with several it
  holds them side by side (models/member_axis.py, packed_model) and each
  head is the members' mean. representation_model() gives the first
  member's user and movie vectors.
  """
  inputs = model_inputs(config, sizes)
  row_l2_scale = (config.row_l2_scale
                  if sparse_table_updates(sizes, config) else None)
  movie_embedding = _member_embedding(
      sizes.movie, config.movie_embedding_dim, members, config.l2,
      'movie_embedding', row_l2_scale, layer=DenselyReadEmbedding)
  target_movie = member_axis.split(
      movie_embedding(inputs[features.MOVIE_INDEX]), members)

  def small(name: str, rows: int) -> tf.Tensor:
    table = _member_embedding(
        rows, config.small_embedding_dim, members, 0.0,
        f'{name.removesuffix("_index")}_embedding', row_l2_scale)
    return member_axis.split(table(inputs[name]), members)

  user_features = tf.concat([
      member_axis.split(_member_embedding(
          sizes.user, config.user_embedding_dim, members, config.l2,
          'user_embedding', row_l2_scale)(inputs[features.USER_INDEX]),
      members),
      *_user_history(inputs, movie_embedding, config, members),
      *(small(name, rows) for name, rows in sizes.demographics.items()),
      member_axis.broadcast(_continuous(inputs, USER_CONTEXT), members),
  ], axis=2)
  genre_embedding = _member_embedding(
      sizes.genre, config.small_embedding_dim, members, 0.0, 'genre_embedding',
      row_l2_scale)
  movie_features = tf.concat([
      target_movie,
      member_axis.split(pooling.MaskedMeanPooling(name='genre_pooling')(
          genre_embedding(inputs[features.GENRE_INDICES])), members),
      member_axis.broadcast(_continuous(inputs, MOVIE_CONTEXT), members),
  ], axis=2)

  dim = config.movie_embedding_dim
  user_vector = member_axis.Dense(
      dim, activation='relu', name='user_representation')(user_features)
  movie_vector = member_axis.Dense(
      dim, activation='relu', name='movie_representation')(movie_features)

  tower = tf.concat([user_vector, movie_vector, user_vector * movie_vector],
                    axis=2)
  for i, units in enumerate(config.hidden_units):
    tower = member_axis.Dense(units, activation='relu', kernel_l2=config.l2,
                              name=f'tower_{i}')(tower)
    tower = tf.keras.layers.Dropout(config.dropout)(tower)

  rating_prior = tf.keras.initializers.Constant(RATING_PRIOR)
  if config.factor_dim:
    factorization = interactions.SvdPlusPlus(
        sizes.user, sizes.movie, config.factor_dim, config.factor_l2,
        config.bias_l2, flipped=config.flipped_factors, members=members,
        row_l2_scale=row_l2_scale, name='svd_plus_plus')(
            inputs[features.USER_INDEX], inputs[features.MOVIE_INDEX],
            inputs[features.HISTORY_INDICES],
            inputs.get(features.RATER_INDICES))
    rating = tf.keras.layers.Add()([
        member_axis.Dense(1, bias_initializer=rating_prior,
                          name='tower_rating')(tower), factorization])
    tower = tf.concat([tower, factorization], axis=2)
  else:
    rating = member_axis.Dense(1, bias_initializer=rating_prior,
                               name='tower_rating')(tower)
  stars_logits = member_axis.Dense(sizes.stars,
                                   name='tower_stars')(tower)
  liked_logit = member_axis.Dense(1, name='tower_liked')(tower)
  return tf.keras.Model(
      inputs=inputs,
      outputs={
          features.RATING_HEAD: member_axis.Mean(
              name=features.RATING_HEAD)(rating),
          features.STARS_HEAD: member_axis.Mean(
              'softmax', name=features.STARS_HEAD)(stars_logits),
          features.LIKED_HEAD: member_axis.Mean(
              'sigmoid', name=features.LIKED_HEAD)(liked_logit),
      },
      name='ranking')


def packed_model(members: list[tf.keras.Model], sizes: VocabularySizes,
                 config: hyperparameters.ModelConfig) -> tf.keras.Model:
  """One model whose every head is the mean of the trained members' heads.

  Members trained apart, each from its own initialization and batch order,
  err apart, so their mean errs less. Packed side by side on a member axis
  (models/member_axis.py), the mean costs one op where calling each member
  cost one per member, and serving stays one signature. For five members
  on full ml-1m's temporal model, requests of 100 candidates took 3.26 and
  4.20 ms p50 packed against 3.64 and 4.76 ms as five Keras models, p99
  5.67 and 8.15 against 7.73 and 9.26 ms (two processes, the two models
  alternating request by request, load 1.6-1.7).
  """
  packed = build_ranking_model(sizes, config, members=len(members))
  member_axis.pack([member.weights for member in members], packed.weights)
  return packed


class AutoRecBlend(tf.keras.layers.Layer):
  """The members' heads with I-AutoRec's rating blended in.

  rating = (1 - w) * members' rating + w * AutoRec's; the liked head's
  log-odds move by liked_weight times how far AutoRec's rating lies from
  the members' (a rating above theirs makes a like likelier). The stars
  head is the members' own.
  """

  def __init__(self, weight: float, liked_weight: float, **kwargs):
    super().__init__(**kwargs)
    self.weight, self.liked_weight = weight, liked_weight

  def call(self, heads: dict[str, tf.Tensor],
           autorec_rating: tf.Tensor) -> dict[str, tf.Tensor]:
    rating = heads[features.RATING_HEAD]
    liked = tf.clip_by_value(heads[features.LIKED_HEAD], 1e-7, 1 - 1e-7)
    liked_logit = tf.math.log(liked) - tf.math.log1p(-liked)
    return {
        features.RATING_HEAD: (1 - self.weight) * rating +
                              self.weight * autorec_rating,
        features.STARS_HEAD: heads[features.STARS_HEAD],
        features.LIKED_HEAD: tf.sigmoid(
            liked_logit + self.liked_weight * (autorec_rating - rating)),
    }

  def get_config(self) -> dict:
    return {**super().get_config(), 'weight': self.weight,
            'liked_weight': self.liked_weight}


def blended_model(members: tf.keras.Model,
                  autorec_rating: tf.keras.layers.Layer,
                  config: hyperparameters.ModelConfig) -> tf.keras.Model:
  """The packed members with a trained I-AutoRec blended into their heads.

  Built on the members' own graph, so every layer stays reachable by name
  (representation_model) and the inputs are the members'. On the random90
  train split's carve-out five members scored RMSE 0.8433 and AUC 0.8313,
  I-AutoRec alone RMSE 0.8353, and the blend 0.8273 and 0.8378
  (hyperparameters.ModelConfig, docs/benchmarks.md).
  """
  inputs = members.input
  heads = AutoRecBlend(config.autorec_weight, config.autorec_liked_weight,
                       name='autorec_blend')(
                           members.output,
                           autorec_rating(inputs[features.USER_INDEX],
                                          inputs[features.MOVIE_INDEX]))
  return tf.keras.Model(inputs=inputs, outputs=heads, name='ranking')


def representation_model(model: tf.keras.Model) -> tf.keras.Model:
  """The learned user and movie vectors that feed the ranking tower, of the first member."""
  return tf.keras.Model(
      inputs=model.inputs,
      outputs={name: model.get_layer(name).output[:, 0, :]
               for name in ('user_representation', 'movie_representation')})
