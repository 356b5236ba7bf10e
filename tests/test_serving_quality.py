"""Serving figures of the benchmarks: the ranking requests they time are real ones."""

import tensorflow as tf

from benchmarks import serving_quality
from contract import features
from contract import formats
from contract import paths
from contract import splits
from serving import scoring


def _eval_rows(run) -> list[dict]:
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  return scoring.read_rows(
      paths.latest_ingested_split(run.output_dir, splits.EVAL_SPLIT))


def test_a_one_user_request_joins_one_users_side_to_the_next_rows_movies(run):
  rows = _eval_rows(run)
  count = len(rows) + 2  # the last requests wrap around
  requests = serving_quality.one_user_requests(rows, scoring.load_schema(formats.ML_1M),
                                               count)
  assert len(requests) == count
  for i in (0, len(rows) - 1, count - 1):
    assert len(requests[i]) == serving_quality.REQUEST_SIZE
    user = rows[i % len(rows)]
    for j, example in enumerate(requests[i]):
      values = tf.train.Example.FromString(example).features.feature
      assert values[features.USER_ID].int64_list.value == [
          user[features.USER_ID]]
      assert list(values[features.HISTORY].int64_list.value) == list(
          user.get(features.HISTORY, []))
      assert values[features.MOVIE_ID].int64_list.value == [
          rows[(i + 1 + j) % len(rows)][features.MOVIE_ID]]
      assert features.RAW_LABEL not in values


def test_both_kinds_of_request_are_timed_through_the_pushed_model(run):
  serve = scoring.load_serving_fn(scoring.latest_pushed_model(
      paths.serving_model_dir(run.output_dir)))
  latencies = serving_quality.request_latencies(serve, _eval_rows(run),
                                                scoring.load_schema(formats.ML_1M))
  for kind in ('', '_one_user'):
    assert 0 < latencies[f'serving_p50_ms_100{kind}'] <= latencies[
        f'serving_p99_ms_100{kind}']
