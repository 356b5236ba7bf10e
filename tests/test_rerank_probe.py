"""The re-ranking probe's candidate features read only ratings before the request."""

import numpy as np

from benchmarks import rerank_probe

DAY = rerank_probe.SECONDS_PER_DAY


def _log(rows: list[tuple[int, int, int, int]]) -> rerank_probe.RatingLog:
  """(user, movie, day, position) rows as a log in time order."""
  array = np.array(sorted(rows, key=lambda row: row[2]), np.int64)
  return rerank_probe.RatingLog(user_ids=array[:, 0], movie_ids=array[:, 1],
                                timestamps=array[:, 2] * DAY,
                                positions=array[:, 3])


FACTS = rerank_probe.MovieFacts(
    genre_bits=np.array([0, 1, 1, 2, 3, 2]),
    years=np.array([0, 1990, 1995, 1980, 2000, 1999], np.float64))
EARLIER = [(1, 1, 10, 0), (1, 2, 11, 1), (1, 3, 12, 2),
           (2, 1, 13, 0), (2, 4, 14, 1), (2, 5, 15, 2),
           (3, 2, 16, 0), (3, 4, 17, 1)]
REQUEST = rerank_probe.Request(user_id=9, timestamp=20 * DAY,
                               history=np.array([1, 2]))
MOVIES = np.array([[4, 5, 3]])
SCORES = np.array([[2.0, 1.0, -np.inf]])


def _features(rows) -> dict[str, np.ndarray]:
  return rerank_probe.list_features([REQUEST], MOVIES, SCORES, _log(rows),
                                    FACTS)


def test_later_ratings_change_no_feature():
  before = _features(EARLIER)
  after = _features(EARLIER + [(4, 1, 20, 0), (4, 4, 21, 1), (2, 3, 25, 3),
                               (5, 2, 30, 0), (5, 5, 31, 1)])
  assert set(before) == set(rerank_probe.FAMILIES)
  for family in rerank_probe.FAMILIES:
    np.testing.assert_array_equal(before[family], after[family], family)


def test_features_count_what_came_before():
  features = _features(EARLIER)
  popularity = features['popularity'][0]
  # Movie 4 was rated on days 14 and 17: both within 7 and 30 days of day 20.
  np.testing.assert_allclose(popularity[0, :3], np.log1p([2, 2, 2]))
  np.testing.assert_allclose(popularity[0, 3], np.log1p(20 - 14))
  sequence = features['sequence'][0]
  # The newest history movie, 2, was followed by 4 once (user 3) and never by 5;
  # movie 1 was followed by 4 and 5 once each (user 2).
  np.testing.assert_allclose(sequence[0, :2], np.log1p([1, 1]))
  np.testing.assert_allclose(sequence[1, :2], np.log1p([0, 1]))
  retrieval = features['retrieval'][0]
  np.testing.assert_allclose(retrieval[:2, 1], [0.0, -1.0])
  assert np.isfinite(retrieval).all()


def test_every_ranker_form_learns_a_feature_that_marks_the_target():
  rng = np.random.default_rng(0)
  lists, candidates = 64, 6
  x = rng.normal(size=(lists, candidates, 2)).astype(np.float32)
  labels = rng.integers(0, candidates, size=lists)
  x[np.arange(lists), labels, 0] += 4.0
  shown = np.ones((lists, candidates), bool)
  shown[:, -1] = labels == candidates - 1  # a later movie is no negative
  lists_set = rerank_probe.ListSet(x, labels, shown)
  for name, form in rerank_probe.RANKER_FORMS.items():
    ranks = rerank_probe.fit_and_rank(
        lists_set, lists_set, rerank_probe.RankerForm(
            form.hidden_units, 30, form.logistic_weight))
    assert np.mean(ranks == 0) > 0.9, name
