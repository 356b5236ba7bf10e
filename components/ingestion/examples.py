"""Builds examples whose features see only strictly earlier ratings.

Pure functions on one user's (or one movie's) ratings, so the leakage rules
of BENCHMARKS.md are tested without Beam.
"""

import bisect
import collections
from typing import Iterable, NamedTuple, Sequence

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


def user_examples(ratings: Iterable[rules.Rating], history_length: int,
                  split_protocol: str) -> list[Example]:
  """Examples of one user's deduplicated ratings in (timestamp, movie_id) order.

  Same-second ratings are common in ml-1m (users rated in batches), so ties
  are ordered by movie_id and a tied rating earlier in that order counts as
  history, exactly as the split protocols order them.
  """
  ordered = sorted(ratings, key=lambda rating: (rating.timestamp,
                                                rating.movie_id))
  if not ordered:
    return []
  user_ids = {rating.user_id for rating in ordered}
  if len(user_ids) != 1:
    raise ValueError(f'Expected the ratings of one user, got users {user_ids}')
  movie_ids = [rating.movie_id for rating in ordered]
  row_splits = splits.user_splits(split_protocol, ordered[0].user_id, movie_ids)
  rating_values = revealed_ratings(ordered, row_splits)
  rows = []
  for position, rating in enumerate(ordered):
    history_start = max(0, position - history_length)
    # The first rating counts as its own previous one: 0 seconds since.
    previous = ordered[position - 1] if position else rating
    rows.append(Example(
        user_id=rating.user_id,
        movie_id=rating.movie_id,
        rating=rating.rating,
        timestamp=rating.timestamp,
        history=movie_ids[history_start:position],
        history_ratings=rating_values[history_start:position],
        user_rating_count=position,
        seconds_since_previous=rating.timestamp - previous.timestamp,
        split=row_splits[position],
    ))
  return rows


class MovieRaters(NamedTuple):
  """Who rated one movie and when, in (timestamp, user_id) order."""
  timestamps: tuple[int, ...]
  user_ids: tuple[int, ...]


def movie_raters(pairs: Iterable[tuple[int, int]]) -> MovieRaters:
  """One movie's (timestamp, user_id) pairs, in any order, ordered."""
  ordered = sorted(pairs)
  return MovieRaters(tuple(pair[0] for pair in ordered),
                     tuple(pair[1] for pair in ordered))


NO_RATERS = MovieRaters((), ())


def raters_by_movie(ratings: Iterable[rules.Rating]) -> dict[int, MovieRaters]:
  """Every rated movie's raters, ordered, from ratings in any order."""
  pairs = collections.defaultdict(list)
  for rating in ratings:
    pairs[rating.movie_id].append((rating.timestamp, rating.user_id))
  return {movie_id: movie_raters(values) for movie_id, values in pairs.items()}


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
  count = bisect.bisect_left(movie.timestamps, timestamp)
  return MovieContext(
      rating_count=count,
      raters=movie.user_ids[max(0, count - raters_length):count])


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
