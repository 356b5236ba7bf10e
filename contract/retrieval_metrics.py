"""The one definition of BENCHMARKS.md's `last1` retrieval metrics.

The baselines harness and the pipeline's retrieval evaluator both rank with
these functions, so their figures are comparable. NumPy only: importing it
costs no TensorFlow start-up.

Ties in score go to the lower candidate index, as in a stable descending sort
and in `tf.math.top_k`; a target's rank is therefore its position in the list
a top-k lookup over the same scores would serve. Counting only strictly
higher scores would instead let a model that scores every movie alike rank
every target first. A caller that wants another secondary order encodes it in
the scores or in the candidate indices.
"""

from typing import Iterable, Sequence

import numpy as np

HIT_RATE_CUTOFFS = (10, 50, 100)
NDCG_CUTOFF = 10
CURVE_MAX_K = 100

# The rank of a target that is not in the scored top list.
MISS = -1


def target_ranks(scores: np.ndarray, targets: Sequence[int],
                 excluded: Sequence[Iterable[int]]) -> np.ndarray:
  """0-based rank of each row's target among its non-excluded candidates.

  Counts, instead of sorting, the candidates ranked ahead of the target: one
  pass over the scores, so a whole user-by-movie matrix ranks in seconds.
  `excluded` holds each row's earlier-rated candidate indices; the target
  itself must not be among them, since that would mean a rating was both
  history and target.
  """
  scores = np.asarray(scores)
  if scores.ndim != 2:
    raise ValueError(f'scores must be a [rows, candidates] matrix, got shape '
                     f'{scores.shape}')
  targets = np.asarray(targets, dtype=np.int64)
  if targets.shape != (scores.shape[0],) or len(excluded) != len(targets):
    raise ValueError(f'{scores.shape[0]} score rows need as many targets and '
                     f'excluded sets, got {len(targets)} and {len(excluded)}')
  rows = np.arange(len(targets))
  mask = np.zeros(scores.shape, dtype=bool)
  for row, indices in enumerate(excluded):
    mask[row, np.fromiter(indices, dtype=np.int64)] = True
  if mask[rows, targets].any():
    raise ValueError('a target is among its own excluded candidates: rows '
                     f'{rows[mask[rows, targets]].tolist()}')
  target_scores = scores[rows, targets][:, np.newaxis]
  candidates = np.arange(scores.shape[1])
  ahead = (scores > target_scores) | (
      (scores == target_scores) & (candidates < targets[:, np.newaxis]))
  return np.sum(ahead & ~mask, axis=1)


def target_rank(scores: np.ndarray, target: int,
                excluded: Iterable[int]) -> int:
  """target_ranks for one user's score vector."""
  return int(target_ranks(np.asarray(scores)[np.newaxis, :], [target],
                          [excluded])[0])


def _as_ranks(ranks: Iterable[int | None]) -> np.ndarray:
  """Ranks as integers, None as MISS, so every metric reads one form.

  An integer array is taken as it is: the HR curve reads one 100 times.
  """
  if isinstance(ranks, np.ndarray) and ranks.dtype.kind == 'i':
    array = ranks.astype(np.int64, copy=False)
  else:
    array = np.array([MISS if rank is None else rank for rank in ranks],
                     dtype=np.int64)
  if array.ndim != 1 or array.size == 0:
    raise ValueError('no ranks, or not one per user: the metrics are shares '
                     'of users')
  if (array < MISS).any():
    raise ValueError(f'ranks must be >= 0, or {MISS} or None for a miss')
  return array


def metrics(ranks: Iterable[int | None]) -> dict[str, float]:
  """HR@10, HR@50, HR@100 and NDCG@10 over users, one rank per user.

  A miss (None or -1) is a target outside the scored top list; it counts as
  a user without a hit, so the list must hold at least 100 items.
  """
  ranks = _as_ranks(ranks)
  names = [f'hr@{k}' for k in HIT_RATE_CUTOFFS] + [f'ndcg@{NDCG_CUTOFF}']
  return {name: float(np.mean(per_user_gains(ranks, name)))
          for name in names}


def per_user_gains(ranks: Iterable[int | None], metric: str) -> np.ndarray:
  """Each user's share of one of `metrics`' figures: its mean over users is the figure."""
  ranks = _as_ranks(ranks)
  name, cutoff = metric.split('@')
  cutoff = int(cutoff)
  hit = (ranks != MISS) & (ranks < cutoff)
  if name == 'hr':
    return hit.astype(np.float64)
  if name == 'ndcg':
    gains = np.zeros(len(ranks))
    gains[hit] = 1 / np.log2(ranks[hit] + 2)
    return gains
  raise ValueError(f'no per-user form of {metric!r}: use hr@K or ndcg@K')


def paired_difference_ci95(ranks: Iterable[int | None],
                           baseline_ranks: Iterable[int | None], metric: str,
                           resamples: int = 1000,
                           seed: int = 0) -> tuple[float, float]:
  """The 95% interval of `metric`(ranks) minus `metric`(baseline_ranks).

  A paired bootstrap over users: both rank lists hold one rank per user in
  the same user order, and each resample draws users, not ranks, so the
  interval reflects how the two orderings differ on the same people.
  """
  gains = per_user_gains(ranks, metric)
  baseline_gains = per_user_gains(baseline_ranks, metric)
  if gains.shape != baseline_gains.shape:
    raise ValueError(f'paired ranks need one per user on both sides, got '
                     f'{gains.size} and {baseline_gains.size}')
  differences = gains - baseline_gains
  draws = np.random.default_rng(seed).integers(
      0, differences.size, size=(resamples, differences.size))
  means = differences[draws].mean(axis=1)
  low, high = np.percentile(means, [2.5, 97.5])
  return float(low), float(high)


def hit_rate_curve(ranks: Iterable[int | None],
                   max_k: int = CURVE_MAX_K) -> list[list[int | float]]:
  """[[k, HR@k]] for k = 1..max_k, to compare models at any cutoff."""
  ranks = _as_ranks(ranks)
  return [[k, float(np.mean(per_user_gains(ranks, f'hr@{k}')))]
          for k in range(1, max_k + 1)]
