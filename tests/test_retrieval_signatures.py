"""The pushed retrieval model's signature contract, on the shared sample run."""

import numpy as np
import pytest
import tensorflow as tf

from contract import features
from contract import formats
from contract import paths
from contract import splits
from models import hyperparameters
from serving import scoring


@pytest.fixture(scope='module')
def served(run):
  """The pushed retrieval signature and a few ingested eval rows to ask with."""
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  serve = scoring.load_serving_fn(scoring.latest_pushed_model(
      paths.retrieval_serving_model_dir(run.output_dir)))
  rows = scoring.read_rows(
      paths.latest_ingested_split(run.output_dir, splits.EVAL_SPLIT))[:20]
  return serve, rows, {int(row[features.MOVIE_ID]) for row in
                       scoring.read_rows(paths.latest_ingested_split(
                           run.output_dir, splits.TRAIN_SPLIT))}


def _request(row: dict[str, str], excluded: list[int]) -> bytes:
  request = tf.train.Example.FromString(scoring.serialize_rows(
      [{name: row[name] for name in features.RETRIEVAL_REQUEST_FEATURES
        if name in row}], scoring.load_schema(formats.ML_1M))[0])
  request.features.feature[features.EXCLUDED_MOVIE_IDS].int64_list.value[:] = (
      excluded)
  return request.SerializeToString()


def test_answers_are_known_movies_best_first_without_repeats(served):
  serve, rows, train_movies = served
  answer = serve(examples=tf.constant([_request(row, []) for row in rows]))
  movie_ids = answer[features.RETRIEVED_MOVIE_IDS].numpy()
  scores = answer[features.RETRIEVAL_SCORES].numpy()
  assert movie_ids.shape == scores.shape == (len(rows), movie_ids.shape[1])
  assert movie_ids.shape[1] == min(hyperparameters.RetrievalConfig.top_k,
                                   len(train_movies))
  assert np.all(np.isfinite(scores))
  assert np.all(np.diff(scores, axis=1) <= 0)
  for movies in movie_ids:
    assert len(set(movies)) == len(movies)
    assert set(movies) <= train_movies


def test_excluded_movies_never_come_back(served):
  serve, rows, _ = served
  first = serve(examples=tf.constant([_request(rows[0], [])]))
  top = first[features.RETRIEVED_MOVIE_IDS].numpy()[0]
  excluded = [int(movie) for movie in top[:5]] + [999_999]
  again = serve(examples=tf.constant([_request(rows[0], excluded)]))
  movies = again[features.RETRIEVED_MOVIE_IDS].numpy()[0]
  scores = again[features.RETRIEVAL_SCORES].numpy()[0]
  assert not set(excluded) & set(movies[np.isfinite(scores)])
  np.testing.assert_array_equal(movies[:5], top[5:10])


def test_an_empty_history_and_unknown_history_ids_still_get_answers(served):
  serve, rows, _ = served
  odd = [dict(rows[0], **{features.HISTORY: [],
                          features.HISTORY_RATINGS: []}),
         dict(rows[0], **{features.HISTORY: [999999, 888888],
                          features.HISTORY_RATINGS: [4, 2]})]
  answer = serve(examples=tf.constant([_request(row, []) for row in odd]))
  assert np.all(np.isfinite(answer[features.RETRIEVAL_SCORES].numpy()))
