"""The one definition of the split names and the split protocols of BENCHMARKS.md.

The ingestion, the tests and the benchmark scripts all call these functions,
so a figure reported under a protocol name always means the same eval set.
"""

import hashlib
import math
from typing import Sequence

import numpy as np

# Split protocols, defined in BENCHMARKS.md: two for ranking, and `last1`,
# the retrieval protocol, which holds out each user's last rating.
RANDOM90 = 'random90'
TEMPORAL = 'temporal'
LAST1 = 'last1'
SPLIT_PROTOCOLS = (RANDOM90, TEMPORAL, LAST1)

TRAIN_SPLIT = 'train'
EVAL_SPLIT = 'eval'


def random90_split(user_id: int, movie_id: int) -> str:
  """A hash of the pair, so the split needs no state and no random seed."""
  digest = hashlib.md5(f'{user_id}:{movie_id}'.encode()).hexdigest()
  if int(digest[:8], 16) % 10 == 0:
    return EVAL_SPLIT
  return TRAIN_SPLIT


def temporal_eval_count(num_ratings: int) -> int:
  """Rounds up so that every user with a rating has one in eval."""
  return math.ceil(num_ratings / 10)


def user_splits(split_protocol: str, user_id: int,
                ordered_movie_ids: Sequence[int]) -> list[str]:
  """Split of each of a user's ratings, given in (timestamp, movie_id) order."""
  if split_protocol == RANDOM90:
    return [random90_split(user_id, movie_id)
            for movie_id in ordered_movie_ids]
  if split_protocol == TEMPORAL:
    num_eval = temporal_eval_count(len(ordered_movie_ids))
    num_train = len(ordered_movie_ids) - num_eval
    return [TRAIN_SPLIT] * num_train + [EVAL_SPLIT] * num_eval
  if split_protocol == LAST1:
    num_train = len(ordered_movie_ids) - 1
    return [TRAIN_SPLIT] * num_train + [EVAL_SPLIT]
  raise ValueError(f'Unknown split_protocol {split_protocol!r}; expected one '
                   f'of {SPLIT_PROTOCOLS}')


# The impression retriever holds out each user's this many newest train
# ratings, and the ranking stage learns from the candidate lists it shows
# for them (components/impression_gen.py). On the last1 train split's
# carve-out (benchmarks/rerank_probe.py) lists for 5 positions per user,
# 30,200 in all, taught a ranker that lifted NDCG@10 from 0.2027 to 0.2185.
IMPRESSION_POSITIONS = 5


def newest_per_user(user_ids: np.ndarray, positions: np.ndarray,
                    count: int) -> np.ndarray:
  """A mask of each user's `count` ratings with the highest positions.

  `positions` orders a user's ratings (the earlier-rating count). The
  impression retriever's Trainer and the ImpressionGen both call this, so
  the positions one leaves out are the ones the other lists candidates for.
  """
  order = np.lexsort((-positions, user_ids))
  users = user_ids[order]
  first = np.concatenate([[0], np.flatnonzero(users[1:] != users[:-1]) + 1])
  place = np.arange(len(order)) - np.repeat(first, np.diff(
      np.append(first, len(order))))
  chosen = np.zeros(len(user_ids), bool)
  chosen[order[place < count]] = True
  return chosen
