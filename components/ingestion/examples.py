"""Builds examples whose features see only strictly earlier ratings.

Pure functions on one user's (or one movie's) ratings, so the leakage rules
of BENCHMARKS.md are tested without Beam.
"""

from typing import Iterable, NamedTuple, Sequence

import numpy as np

from components.ingestion import rules
from contract import features
from contract import splits


class Example(NamedTuple):
  """One rating with its user-context features; `split` says where it goes."""
  user_id: int
  movie_id: int
  rating: int | float
  timestamp: int
  history: Sequence[int]
  history_ratings: Sequence[int | float]
  user_rating_count: int
  seconds_since_previous: int
  split: str


def revealed_ratings(ordered: Sequence[rules.Rating],
                     row_splits: Sequence[str]) -> list[int | float]:
  """Each rating's value as later examples' `history_ratings` may show it.

  An eval-split rating's value is features.UNKNOWN_RATING, in train and eval
  examples alike (BENCHMARKS.md): a model may know that the user rated the
  movie, never how, so it neither trains on eval labels as inputs nor reads
  one eval rating to predict another. In `last1` the eval rating is the
  user's last, which no example's history holds, so nothing changes there.
  """
  return [features.UNKNOWN_RATING if split == splits.EVAL_SPLIT
          else rating.rating for rating, split in zip(ordered, row_splits)]


class UserTimeline(NamedTuple):
  """One user's ratings in (timestamp, movie_id) order, with what examples read.

  An example is built from it by position (example_at), so a writer can hold
  a shard's timelines and sort its examples' places, not the examples: an
  example with a 50-long history takes 1,246 bytes (sys.getsizeof of it and
  its fields), its place (shuffle key, user, position) 128.
  """
  ordered: list[rules.Rating]
  movie_ids: list[int]
  revealed: list[int | float]
  row_splits: list[str]


def user_timeline(ratings: Iterable[rules.Rating],
                  split_protocol: str) -> UserTimeline:
  """One user's deduplicated ratings ordered, each with its split.

  Same-second ratings are common in ml-1m (users rated in batches), so ties
  are ordered by movie_id and a tied rating earlier in that order counts as
  history, exactly as the split protocols order them.
  """
  ordered = sorted(ratings, key=lambda rating: (rating.timestamp,
                                                rating.movie_id))
  if not ordered:
    return UserTimeline([], [], [], [])
  user_ids = {rating.user_id for rating in ordered}
  if len(user_ids) != 1:
    raise ValueError(f'Expected the ratings of one user, got users {user_ids}')
  movie_ids = [rating.movie_id for rating in ordered]
  row_splits = splits.user_splits(split_protocol, ordered[0].user_id, movie_ids)
  return UserTimeline(ordered, movie_ids,
                      revealed_ratings(ordered, row_splits), row_splits)


def example_at(timeline: UserTimeline, position: int,
               history_length: int) -> Example:
  """The example of the timeline's rating at `position`."""
  rating = timeline.ordered[position]
  history_start = max(0, position - history_length)
  # The first rating counts as its own previous one: 0 seconds since.
  previous = timeline.ordered[position - 1] if position else rating
  return Example(
      user_id=rating.user_id,
      movie_id=rating.movie_id,
      rating=rating.rating,
      timestamp=rating.timestamp,
      history=timeline.movie_ids[history_start:position],
      history_ratings=timeline.revealed[history_start:position],
      user_rating_count=position,
      seconds_since_previous=rating.timestamp - previous.timestamp,
      split=timeline.row_splits[position],
  )


def user_examples(ratings: Iterable[rules.Rating], history_length: int,
                  split_protocol: str) -> list[Example]:
  """Examples of one user's deduplicated ratings, in timeline order."""
  timeline = user_timeline(ratings, split_protocol)
  return [example_at(timeline, position, history_length)
          for position in range(len(timeline.ordered))]


class MovieRaters(NamedTuple):
  """Who rated one movie and when, in (timestamp, user_id) order.

  Two int64 arrays, not tuples of ints: the ingestion holds every movie's
  raters as a side input, and Beam's state cache weighs what it decodes by
  walking every object. As tuples, at 1M ratings, the decoded raters were
  143 MB in 4.1 million objects and the walk took about 200 MB more.
  """
  timestamps: np.ndarray
  user_ids: np.ndarray


def raters_by_columns(movie_ids: np.ndarray, timestamps: np.ndarray,
                      user_ids: np.ndarray) -> dict[int, MovieRaters]:
  """Every movie's raters, ordered, from three aligned columns of ratings.

  One sort of all the ratings by (movie, timestamp, user), then one slice a
  movie; the slices are views of the sorted columns.
  """
  order = np.lexsort((user_ids, timestamps, movie_ids))
  movie_ids, timestamps, user_ids = (
      np.asarray(movie_ids, np.int64)[order],
      np.asarray(timestamps, np.int64)[order],
      np.asarray(user_ids, np.int64)[order])
  bounds = [0, *(np.flatnonzero(np.diff(movie_ids)) + 1), len(movie_ids)]
  return {int(movie_ids[start]): MovieRaters(timestamps[start:end],
                                             user_ids[start:end])
          for start, end in zip(bounds[:-1], bounds[1:]) if end > start}


NO_RATERS = MovieRaters(np.empty(0, np.int64), np.empty(0, np.int64))


def raters_by_movie(ratings: Iterable[rules.Rating]) -> dict[int, MovieRaters]:
  """Every rated movie's raters, ordered, from ratings in any order."""
  ratings = list(ratings)
  return raters_by_columns(
      *(np.fromiter((getattr(rating, field) for rating in ratings), np.int64,
                    count=len(ratings))
        for field in ('movie_id', 'timestamp', 'user_id')))


class MovieContext(NamedTuple):
  """A movie's features just before a rating, from strictly earlier ratings."""
  rating_count: int
  raters: Sequence[int]


def movie_context(movie: MovieRaters, timestamp: int,
                  raters_length: int) -> MovieContext:
  """How many rated the movie before `timestamp`, and the newest of them.

  Strictly before: same-second ratings do not see each other, so no rating
  of a batch a user rated in one second is known to another's example. The
  raters, like a user's history, are the newest `raters_length`, newest last.
  """
  count = int(np.searchsorted(movie.timestamps, timestamp, side='left'))
  newest = movie.user_ids[max(0, count - raters_length):count]
  return MovieContext(rating_count=count, raters=tuple(newest.tolist()))


def bucket_label(count: int, boundaries: Sequence[int]) -> str:
  """The slice of a count, e.g. '10-49' or '200+' for boundaries (10, 50, 200).

  Labels name their ranges so that a slice reads the same in a report without
  the boundaries beside it.
  """
  lower = 0
  for upper in boundaries:
    if count < upper:
      return f'{lower}-{upper - 1}'
    lower = upper
  return f'{lower}+'
