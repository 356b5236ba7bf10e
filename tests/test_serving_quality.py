"""Serving figures of the benchmarks: the ranking requests they time are real ones."""

import tensorflow as tf

from benchmarks import serving_quality
from contract import features
from contract import paths
from contract import splits
from serving import scoring


def _eval_rows(run) -> list[dict]:
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  return scoring.read_rows(
      paths.latest_ingested_split(run.output_dir, splits.EVAL_SPLIT))


def test_a_one_user_request_joins_one_users_side_to_the_next_rows_movies(run):
  rows = _eval_rows(run)
  requests = serving_quality.one_user_requests(rows, scoring.load_schema(), 2)
  assert len(requests) == 2
  for i, request in enumerate(requests):
    assert len(request) == min(serving_quality.REQUEST_SIZE, len(rows) - i - 1)
    for j, example in enumerate(request):
      values = tf.train.Example.FromString(example).features.feature
      assert values[features.USER_ID].int64_list.value == [
          rows[i][features.USER_ID]]
      assert list(values[features.HISTORY].int64_list.value) == list(
          rows[i].get(features.HISTORY, []))
      assert values[features.MOVIE_ID].int64_list.value == [
          rows[i + 1 + j][features.MOVIE_ID]]
      assert features.RAW_LABEL not in values


def test_one_user_requests_are_scored_and_timed_by_the_pushed_model(run):
  serve = scoring.load_serving_fn(scoring.latest_pushed_model(
      paths.serving_model_dir(run.output_dir)))
  speed = serving_quality.one_user_speed(serve, _eval_rows(run),
                                         scoring.load_schema())
  assert 0 < speed['serving_p50_ms_100_one_user'] <= speed[
      'serving_p99_ms_100_one_user']
