"""Recommendation: the retrieval model proposes, the ranking model orders.

Both stages are the pushed SavedModels called through their serving
signatures with raw tf.Examples, built from the user's real history by the
ingestion's own example and feature code, as a serving client would.
"Now" is the newest rating in the data: ml-1m ends in 2003.

The ranking model's `rank` signature orders the retrieved candidates by its
engagement head, learned from impressions (models/engagement.py), as the
paper's ranking stage does; the liked probability and predicted rating of
the movies shown come from its serving_default. On last1's eval targets the
two stages score above retrieval's own order (docs/benchmarks.md).
features.ORDER_BY_RETRIEVAL keeps retrieval's order and ORDER_BY_LIKED the
liked probability's, which predicts how a user rates a movie they chose,
not which one they choose: it found 3.5% of last1's next movies in the top
10 (benchmarks/two_stage.py).
"""

import collections
import dataclasses
import time
from typing import Callable, Mapping, NamedTuple

import numpy as np
import tensorflow as tf

from components.ingestion import examples
from components.ingestion import outputs
from components.ingestion import rules
from components.ingestion import validate
from contract import errors
from contract import features
from contract import paths
from contract import request_lengths
from models import signatures
from serving import scoring


class UnknownUserError(errors.YtdnnError, LookupError):
  """The data has no ratings of the user asked about."""


@dataclasses.dataclass(frozen=True)
class Recommendation:
  """One recommended movie with both models' scores for the user.

  `engagement` is the ranking stage's ordering score, None when the movies
  were not ordered by it.
  """
  movie_id: int
  title: str
  genres: str
  liked: float
  rating: float
  retrieval_score: float
  engagement: float | None = None


Serve = Callable[..., dict[str, tf.Tensor]]


class PushedModel(NamedTuple):
  """A pushed model's signatures and the lengths its requests carry."""
  signatures: Mapping[str, Serve]
  lengths: request_lengths.RequestLengths

  @property
  def serve(self) -> Serve:
    return self.signatures[signatures.SERVING_DEFAULT]


class NoRankSignatureError(errors.YtdnnError, LookupError):
  """The pushed ranking model cannot order candidates: an older ytdnn pushed it."""


def load_pushed_model(serving_model_dir: str) -> PushedModel:
  """The newest version pushed under a serving directory."""
  model_dir = scoring.latest_pushed_model(serving_model_dir)
  return PushedModel(scoring.load_signatures(model_dir),
                     scoring.load_request_lengths(model_dir))


def load_pushed_models(output_dir: str) -> tuple[PushedModel, PushedModel]:
  """A run's newest pushed retrieval and ranking models.

  Each may come from another run, with other lengths: a run pushes only
  the models its evaluators bless.
  """
  return (load_pushed_model(paths.retrieval_serving_model_dir(output_dir)),
          load_pushed_model(paths.serving_model_dir(output_dir)))


class Recommender:
  """Both pushed models and the data they recommend from, loaded once."""

  def __init__(self, data_dir: str, output_dir: str):
    self._retrieval, self._ranking = load_pushed_models(output_dir)
    records = validate.read_valid_records(data_dir)
    # Empty for a format without demographics (contract/formats.py).
    self._users = {user.user_id: user for user in records.users}
    self._movies = {movie.movie_id: movie for movie in records.movies}
    self._ratings = collections.defaultdict(list)
    for rating in records.ratings:
      self._ratings[rating.user_id].append(rating)
    self._now = max(rating.timestamp for rating in records.ratings)
    self._schema = scoring.load_schema(records.data_format)
    movie_raters = examples.raters_by_movie(records.ratings)
    # A request made after the newest rating sees every rating as earlier.
    self._movie_examples = dict(zip(self._movies, scoring.serialize_rows(
        [outputs.movie_values(movie, examples.movie_context(
            movie_raters.get(movie.movie_id, examples.NO_RATERS),
            self._now + 1, self._ranking.lengths.raters))
         for movie in self._movies.values()], self._schema)))

  def _user_values(self, user_id: int, rated: list[rules.Rating],
                   history_length: int) -> dict[str, outputs.Value]:
    """The user's side of a request now, with a model's history length.

    The example's movie and rating are placeholders: `user_values` leaves
    the movie's side out, and serialize_rows drops the label.
    """
    history = rated[-history_length:]
    example = examples.Example(
        user_id=user_id, movie_id=0, rating=0, timestamp=self._now,
        history=[rating.movie_id for rating in history],
        history_ratings=[rating.rating for rating in history],
        user_rating_count=len(rated),
        seconds_since_previous=self._now - rated[-1].timestamp,
        split='')
    return outputs.user_values(example, self._users.get(user_id))

  def _user_examples(self, user_id: int,
                     rated: list[rules.Rating]) -> tuple[bytes, bytes]:
    """The user's side of the retrieval and of the ranking request.

    Models one run pushed take the same history length, so one encoding
    serves both requests; models of runs with other lengths get one each.
    """
    lengths = (self._retrieval.lengths.history, self._ranking.lengths.history)
    distinct = sorted(set(lengths))
    encoded = dict(zip(distinct, scoring.serialize_rows(
        [self._user_values(user_id, rated, length) for length in distinct],
        self._schema)))
    return encoded[lengths[0]], encoded[lengths[1]]

  def _retrieval_request(self, user_example: bytes,
                         rated: list[rules.Rating]) -> bytes:
    """The user's side, excluding every movie they already rated.

    The retrieval signature reads RETRIEVAL_REQUEST_FEATURES of it and
    ignores the rest.
    """
    excluded = tf.train.Example()
    excluded.features.feature[features.EXCLUDED_MOVIE_IDS].int64_list.value[:] = (
        [rating.movie_id for rating in rated])
    return user_example + excluded.SerializeToString()

  def _engagement(self, ranking_user: bytes,
                  candidates: list[tuple[int, float]]) -> np.ndarray:
    """The ranking stage's ordering score of each candidate."""
    if signatures.RANK not in self._ranking.signatures:
      raise NoRankSignatureError(
          'the pushed ranking model has no rank signature (an older ytdnn '
          'pushed it): run `ytdnn run` again, or use --order-by retrieval')
    ranked = self._ranking.signatures[signatures.RANK](
        examples=tf.constant([ranking_user]),
        candidate_movie_ids=tf.constant([[movie for movie, _ in candidates]],
                                        tf.int64),
        candidate_retrieval_scores=tf.constant(
            [[score for _, score in candidates]], tf.float32))
    return ranked[features.ENGAGEMENT_HEAD].numpy()[0]

  def recommend(self, user_id: int, k: int = 10,
                order_by: str = features.ORDER_BY_ENGAGEMENT
                ) -> list[Recommendation]:
    """The user's top `k` unrated movies, with the ranking model's scores.

    Fewer if the user has rated almost every movie the retrieval model
    knows, none if every one: its signature scores the excluded movies -inf,
    and those are no candidates. The data may hold movies the model does not
    know (rated in no train example), which it cannot recommend.
    ORDER_BY_ENGAGEMENT orders the retrieved movies by the ranking stage's
    `rank` signature and ORDER_BY_RETRIEVAL keeps retrieval's order; either
    way only the `k` shown are scored by the rating heads. ORDER_BY_LIKED
    scores every retrieved movie and orders by liked probability, ties by
    predicted rating.
    """
    if order_by not in features.RECOMMEND_ORDERINGS:
      raise ValueError(f'order_by must be one of '
                       f'{features.RECOMMEND_ORDERINGS}, got {order_by!r}')
    if not self._ratings.get(user_id):
      raise UnknownUserError(f'user {user_id} has no ratings in the data')
    rated = sorted(self._ratings[user_id],
                   key=lambda rating: (rating.timestamp, rating.movie_id))
    retrieval_user, ranking_user = self._user_examples(user_id, rated)
    retrieved = self._retrieval.serve(examples=tf.constant(
        [self._retrieval_request(retrieval_user, rated)]))
    scores = retrieved[features.RETRIEVAL_SCORES].numpy()[0]
    candidates = [(int(movie), float(score)) for movie, score in zip(
        retrieved[features.RETRIEVED_MOVIE_IDS].numpy()[0], scores)
                  if np.isfinite(score) and int(movie) in self._movies]
    if not candidates:
      return []
    engagement = None
    if order_by == features.ORDER_BY_ENGAGEMENT:
      engagement = self._engagement(ranking_user, candidates)
      shown = np.argsort(-engagement, kind='stable')[:k]
      engagement = engagement[shown]
      candidates = [candidates[i] for i in shown]
    elif order_by == features.ORDER_BY_RETRIEVAL:
      candidates = candidates[:k]
    ranked = scoring.score(self._ranking.serve, joined_examples(
        ranking_user, [self._movie_examples[movie] for movie, _ in candidates]))
    liked = ranked[features.LIKED_HEAD][:, 0]
    predicted = ranked[features.RATING_HEAD][:, 0]
    order = (np.lexsort((-predicted, -liked))[:k]
             if order_by == features.ORDER_BY_LIKED
             else range(len(candidates)))
    return [Recommendation(
        movie_id=candidates[i][0], title=self._movies[candidates[i][0]].title,
        genres=self._movies[candidates[i][0]].genres, liked=float(liked[i]),
        rating=float(predicted[i]), retrieval_score=candidates[i][1],
        engagement=None if engagement is None else float(engagement[i]))
            for i in order]


def joined_examples(user_example: bytes,
                    movie_examples: list[bytes]) -> list[bytes]:
  """Serialized tf.Examples of one user's side joined to each movie's side.

  Two serialized protobuf messages, one after the other, parse as the two
  merged (protobuf's encoding guide), and a tf.Example's features are a map:
  so the user's side, encoded once per request, and each movie's, encoded
  once at load, join into the full row without encoding it again. Encoding
  300 whole rows per request took 25 of `recommend`'s 37 ms on ml-1m.
  """
  return [user_example + movie_example for movie_example in movie_examples]


def timed_recommend(recommender: Recommender, user_id: int, k: int,
                    order_by: str = features.ORDER_BY_ENGAGEMENT
                    ) -> tuple[list[Recommendation], float]:
  """Recommendations and the seconds they took, for the CLI to report."""
  started = time.perf_counter()
  recommendations = recommender.recommend(user_id, k, order_by)
  return recommendations, time.perf_counter() - started
