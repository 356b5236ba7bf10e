"""Tests for benchmarks/serving_soak.py: its requests and its RSS reading.

The soak itself needs a pushed model and minutes; tests/test_local_runner.py
covers scoring odd requests through a pushed model.
"""

import collections

import numpy as np

from benchmarks import serving_soak
from contract import features

# As scoring.read_rows returns them: ids as ints, the history as int lists.
ROWS = [{features.USER_ID: user, features.MOVIE_ID: 10 + user,
         features.HISTORY: [3, 7], features.HISTORY_RATINGS: [5, 2]}
        for user in range(20)]


def test_requests_vary_in_size_and_carry_every_odd_row():
  requests = serving_soak.build_requests(ROWS, 400, np.random.default_rng(0))
  assert len(requests) == 400
  sizes = collections.Counter(len(request) for request in requests)
  assert set(sizes) == set(serving_soak.REQUEST_SIZES)
  firsts = [requests[i][0] for i in range(0, 400, serving_soak.ODD_EVERY)]
  odd_kinds = {(row[features.USER_ID], tuple(row[features.HISTORY][:2]))
               for row in firsts}
  assert (999999, (3, 7)) in odd_kinds
  assert any(history == () for _, history in odd_kinds)
  assert any(history == (999998, 999999) for _, history in odd_kinds)
  assert max(len(row[features.HISTORY]) for row in firsts) == 1000


def test_odd_rows_keep_every_other_feature():
  for odd in serving_soak.odd_rows(ROWS[0]):
    assert set(odd) == set(ROWS[0])


def test_rss_is_read_in_megabytes():
  assert 10 < serving_soak.rss_mb() < 100_000
