"""Tests for benchmarks/retrieval_baselines.py on a tiny hand-made list."""


import numpy as np
import pytest

from benchmarks import baselines
from benchmarks import retrieval_baselines
from contract import retrieval_metrics

Rating = baselines.Rating

X, Y, T, P, R, O = 10, 20, 30, 40, 50, 60
# Candidate indices follow movie id.
CANDIDATES = [X, Y, T, P, R, O]

# Each user's last rating is the target. User 3 is listed out of time order;
# user 6 rates R and O in the same second, so O (the higher id) is the target.
RATINGS = [
    Rating(1, O, 4, 1), Rating(1, Y, 4, 2), Rating(1, T, 4, 3),
    Rating(1, P, 4, 4),
    Rating(2, O, 4, 5), Rating(2, Y, 4, 6), Rating(2, T, 4, 7),
    Rating(2, X, 4, 8),
    Rating(3, R, 4, 13), Rating(3, P, 4, 12), Rating(3, X, 4, 11),
    Rating(3, T, 4, 10), Rating(3, Y, 4, 9),
    Rating(4, O, 4, 14), Rating(4, Y, 4, 15), Rating(4, X, 4, 16),
    Rating(4, T, 4, 17),
    Rating(5, R, 4, 90),
    Rating(6, O, 4, 95), Rating(6, R, 4, 95),
]

# Histories: 1 [O, Y, T], 2 [O, Y, T], 3 [Y, T, X, P], 4 [O, Y, X], 5 [],
# 6 [R]. Train counts: Y 4, T 3, O 3, X 2, P 1, R 1. The 14 training
# timestamps' cut is the 13th smallest, 16: recent counts are X 1 and R 1.
# Transitions: O->Y 3, Y->T 3, Y->X 1, T->X 1, X->P 1.
#
# Popularity order Y, T, O, X, P, R (T before O by id); recent order X, R,
# then by popularity Y, T, O, P.
EXPECTED_RANKS = {
    # User 1 (target P among X, P, R): X first; recent puts R before P.
    # User 3 (R among O, R): only recent popularity puts R first; the
    # Markov scores from P, X, T, Y reach no candidate, so popularity decides.
    # User 4 (T among T, P, R): Markov-1 follows X to P; Markov-5 adds
    # Y->T (3 x 1/2) above X->P (1 x 1).
    # User 5 (R, no history): last of all six unless by recency.
    # User 6 (O among all but R): R's row is empty, so popularity decides.
    retrieval_baselines.POPULARITY: [1, 0, 1, 0, 5, 2],
    retrieval_baselines.RECENT_POPULARITY: [2, 0, 0, 1, 1, 3],
    retrieval_baselines.MARKOV1: [1, 0, 1, 1, 5, 2],
    retrieval_baselines.MARKOV5: [1, 0, 1, 0, 5, 2],
}


@pytest.fixture(name='data')
def _data() -> retrieval_baselines.Last1Data:
  return retrieval_baselines.last1_data(RATINGS)


def _movies(data: retrieval_baselines.Last1Data, indices) -> list[int]:
  return data.movie_ids[indices].tolist()


def test_targets_and_histories_follow_the_last1_split(data):
  assert data.movie_ids.tolist() == CANDIDATES
  assert _movies(data, data.targets) == [P, X, R, T, R, O]
  assert [_movies(data, history) for history in data.histories] == [
      [O, Y, T], [O, Y, T], [Y, T, X, P], [O, Y, X], [], [R]]
  assert data.history_timestamps[2].tolist() == [9, 10, 11, 12]


def test_popularity_counts_training_ratings_only(data):
  assert retrieval_baselines.popularity(data).tolist() == [2, 4, 3, 1, 1, 3]


def test_recent_popularity_counts_the_latest_tenth(data):
  assert retrieval_baselines.recent_popularity(data).tolist() == [
      1, 0, 0, 0, 1, 0]


def test_recent_popularity_keeps_every_rating_of_the_cut_second():
  data = retrieval_baselines.last1_data(
      [Rating(1, 10 + i, 4, i) for i in range(8)]
      + [Rating(1, 20, 4, 7), Rating(1, 21, 4, 7), Rating(1, 22, 4, 9)])
  # Ten training timestamps 0..7, 7, 7: the cut, the 10th smallest, is 7.
  assert retrieval_baselines.recent_popularity(data).tolist() == [
      0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]


def test_transitions_count_consecutive_history_movies(data):
  counts = retrieval_baselines.transitions(data)
  index = {movie: i for i, movie in enumerate(CANDIDATES)}
  expected = np.zeros((6, 6), dtype=int)
  for previous, following, count in [(O, Y, 3), (Y, T, 3), (Y, X, 1),
                                     (T, X, 1), (X, P, 1)]:
    expected[index[previous], index[following]] = count
  np.testing.assert_array_equal(counts, expected)


def test_markov_weights_halve_with_each_step_back(data):
  scores = retrieval_baselines.markov_scores(data, 5)
  # User 4, history O, Y, X: X->P x 16, Y->T x 8 and Y->X x 8, O->Y x 4.
  assert scores[3].tolist() == [8, 12, 24, 16, 0, 0]
  # User 5 has no history.
  assert scores[4].tolist() == [0] * 6
  np.testing.assert_array_equal(
      retrieval_baselines.markov_scores(data, 1)[3], [0, 0, 0, 1, 0, 0])


@pytest.mark.parametrize('model', retrieval_baselines.MODELS)
def test_ranks_match_hand_computed_ranks(data, model):
  assert retrieval_baselines.ranks(model, data).tolist() == (
      EXPECTED_RANKS[model])


def test_unknown_model_is_an_error(data):
  with pytest.raises(ValueError, match='knn'):
    retrieval_baselines.ranks('knn', data)


def test_run_reads_ratings_dat_and_reports_each_model(tmp_path):
  with open(tmp_path / 'ratings.dat', 'w') as ratings_file:
    for rating in RATINGS:
      ratings_file.write('::'.join(map(str, rating)) + '\n')
  document = retrieval_baselines.run(
      str(tmp_path), [retrieval_baselines.MARKOV5])
  assert (document['users'], document['candidates'],
          document['train_ratings']) == (6, 6, 14)
  assert document['machine']['cores'] >= 1
  assert document['wall_s'] >= document['load_s'] >= 0
  result = document['models'][retrieval_baselines.MARKOV5]
  assert result.pop('seconds') >= 0
  assert result == retrieval_metrics.metrics(
      EXPECTED_RANKS[retrieval_baselines.MARKOV5])
