"""Two-stage recommend on the shared sample run: retrieve, rank, show."""

import os
import shutil
import subprocess

import pytest
import tensorflow as tf

from components.ingestion import examples
from components.ingestion import outputs
from components.ingestion import report
from components.ingestion import rules
from components.ingestion import validate
from conftest import YTDNN
from contract import features
from contract import formats
from contract import paths
from contract import request_lengths
from models import signatures
from serving import recommend
from serving import scoring


@pytest.fixture(scope='module')
def recommender(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  return recommend.Recommender(run.data_dir, run.output_dir)


def _ingested_lengths(output_dir: str) -> tuple[int, int]:
  ingested = report.read_report(paths.latest_output(
      paths.pipeline_root(output_dir), paths.INGESTION, 'report'))
  return ingested['history_length'], ingested['raters_length']


def test_both_pushed_models_carry_the_lengths_of_their_examples(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  for pushed in recommend.load_pushed_models(run.output_dir):
    assert pushed.lengths == _ingested_lengths(run.output_dir)


def _pushed_with_ranking_lengths(run, output_dir: str,
                                 lengths: request_lengths.RequestLengths
                                 ) -> str:
  """A copy of the run's pushed models whose ranking model has other lengths,
  as when the last run's ranking model was not blessed."""
  for serving_dir in (paths.serving_model_dir,
                      paths.retrieval_serving_model_dir):
    shutil.copytree(serving_dir(run.output_dir), serving_dir(output_dir))
  pushed_ranking = scoring.latest_pushed_model(
      paths.serving_model_dir(output_dir))
  with open(os.path.join(pushed_ranking, request_lengths.FILE), 'w') as file:
    file.write(lengths.to_json())
  return output_dir


def test_each_models_lengths_are_read_from_its_own_pushed_version(run,
                                                                   tmp_path):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  output_dir = _pushed_with_ranking_lengths(
      run, str(tmp_path), request_lengths.RequestLengths(history=3, raters=2))

  retrieval, ranking = recommend.load_pushed_models(output_dir)
  assert ranking.lengths == (3, 2)
  assert retrieval.lengths == _ingested_lengths(run.output_dir)


def test_a_model_pushed_without_request_lengths_is_a_one_line_error(tmp_path):
  with pytest.raises(scoring.NoRequestLengthsError,
                     match='request_lengths.json is missing: an older ytdnn'):
    scoring.load_request_lengths(str(tmp_path))


def test_a_joined_example_is_the_example_of_the_whole_row():
  schema = scoring.load_schema(formats.ML_1M)
  example = examples.Example(
      user_id=3, movie_id=12, rating=4, timestamp=978300760, history=[7, 9],
      history_ratings=[5, 3], user_rating_count=2, seconds_since_previous=60,
      split='')
  user = rules.User(3, 'F', 25, 15, '98107', line=3, text='')
  movies = [rules.Movie(12, 1995, 'Drama|Musical', title='Misérables, Les (1995)', line=12, text=''),
            rules.Movie(40, 1972, 'Western', title='Cowboys, The (1972)', line=40, text='')]
  [user_side] = scoring.serialize_rows([outputs.user_values(example, user)],
                                       schema)
  context = examples.MovieContext(8, (3, 5))
  movie_sides = scoring.serialize_rows(
      [outputs.movie_values(movie, context) for movie in movies], schema)
  whole_rows = scoring.serialize_rows(
      [outputs.example_values(example, user, movie, context)
       for movie in movies], schema)
  assert [tf.train.Example.FromString(joined) for joined in
          recommend.joined_examples(user_side, movie_sides)] == [
              tf.train.Example.FromString(whole) for whole in whole_rows]


def _rated_by(data_dir: str, user_id: int) -> set[int]:
  return {rating.movie_id for rating in
          validate.read_valid_records(data_dir).ratings
          if rating.user_id == user_id}


def test_recommends_unrated_movies_in_the_ranking_stages_order(recommender,
                                                               run):
  recommendations = recommender.recommend(7, k=5)
  assert len(recommendations) == 5
  assert not {movie.movie_id for movie in recommendations} & _rated_by(
      run.data_dir, 7)
  engagement = [movie.engagement for movie in recommendations]
  assert engagement == sorted(engagement, reverse=True)
  by_retrieval = recommender.recommend(
      7, k=300, order_by=features.ORDER_BY_RETRIEVAL)
  assert {movie.movie_id for movie in recommendations} <= {
      movie.movie_id for movie in by_retrieval}
  assert all(0.0 <= movie.liked <= 1.0 for movie in recommendations)


def test_a_ranking_model_without_the_rank_signature_is_a_clear_error(
    recommender):
  ranking = recommender._ranking  # pylint: disable=protected-access
  recommender._ranking = ranking._replace(signatures={  # pylint: disable=protected-access
      name: signature for name, signature in ranking.signatures.items()
      if name != signatures.RANK})
  try:
    with pytest.raises(recommend.NoRankSignatureError,
                       match='--order-by retrieval'):
      recommender.recommend(7)
    assert recommender.recommend(7, order_by=features.ORDER_BY_RETRIEVAL)
  finally:
    recommender._ranking = ranking  # pylint: disable=protected-access


def test_recommends_unrated_movies_in_the_retrieval_order(recommender, run):
  recommendations = recommender.recommend(
      7, k=5, order_by=features.ORDER_BY_RETRIEVAL)
  assert len(recommendations) == 5
  assert all(movie.engagement is None for movie in recommendations)
  assert not {movie.movie_id for movie in recommendations} & _rated_by(
      run.data_dir, 7)
  scores = [movie.retrieval_score for movie in recommendations]
  assert scores == sorted(scores, reverse=True)
  assert all(0.0 <= movie.liked <= 1.0 for movie in recommendations)
  assert all(movie.title and movie.genres for movie in recommendations)


def test_the_papers_order_ranks_every_retrieved_movie_by_liked(recommender,
                                                               run):
  by_retrieval = recommender.recommend(7, k=5,
                                      order_by=features.ORDER_BY_RETRIEVAL)
  by_liked = recommender.recommend(7, k=5, order_by=features.ORDER_BY_LIKED)
  assert not {movie.movie_id for movie in by_liked} & _rated_by(
      run.data_dir, 7)
  liked = [movie.liked for movie in by_liked]
  assert liked == sorted(liked, reverse=True)
  # The same movie scored in two requests' batches may differ in float32's
  # last digits (0.78472108 against 0.78472120 in one clean-clone run).
  assert liked[0] >= max(movie.liked for movie in by_retrieval) - 1e-6


def _encoded_rows(monkeypatch) -> list[dict]:
  """The rows scoring.serialize_rows encodes from now on, in call order."""
  rows = []
  serialize_rows = scoring.serialize_rows

  def recorded(batch: list[dict], schema) -> list[bytes]:
    rows.extend(batch)
    return serialize_rows(batch, schema)

  monkeypatch.setattr(scoring, 'serialize_rows', recorded)
  return rows


def test_a_request_encodes_the_users_side_once_for_both_models(
    recommender, monkeypatch):
  encoded = _encoded_rows(monkeypatch)
  for order_by in features.RECOMMEND_ORDERINGS:
    assert recommender.recommend(7, k=5, order_by=order_by)
  assert [row[features.USER_ID] for row in encoded] == [7] * len(
      features.RECOMMEND_ORDERINGS)


def test_models_of_other_history_lengths_get_a_users_side_each(
    run, tmp_path, monkeypatch):
  output_dir = _pushed_with_ranking_lengths(
      run, str(tmp_path), request_lengths.RequestLengths(history=3, raters=2))
  recommender = recommend.Recommender(run.data_dir, output_dir)
  encoded = _encoded_rows(monkeypatch)
  assert len(recommender.recommend(7, k=5)) == 5
  history_length, _ = _ingested_lengths(run.output_dir)
  assert sorted(len(row[features.HISTORY]) for row in encoded) == [
      3, min(history_length, len(_rated_by(run.data_dir, 7)))]


def test_an_unknown_ordering_is_a_clear_error(recommender):
  with pytest.raises(ValueError, match='order_by must be one of'):
    recommender.recommend(7, order_by='popularity')


def test_an_unknown_user_is_a_clear_error(recommender):
  with pytest.raises(recommend.UnknownUserError, match='user 424242'):
    recommender.recommend(424242)


@pytest.fixture(scope='module')
def rated_everything(run, tmp_path_factory) -> tuple[str, int]:
  """The run's data and a new user who rated every movie in it: (dir, id).

  Every movie the retrieval model knows is in the data, so the retrieval
  request excludes them all.
  """
  data_dir = str(tmp_path_factory.mktemp('rated_everything'))
  for name in os.listdir(run.data_dir):
    shutil.copyfile(os.path.join(run.data_dir, name),
                    os.path.join(data_dir, name))
  records = validate.read_valid_records(run.data_dir)
  user_id = 1 + max(user.user_id for user in records.users)
  with open(os.path.join(data_dir, formats.ML_1M.users_file), 'a') as users:
    users.write(f'{user_id}::F::25::1::12345\n')
  with open(os.path.join(data_dir, formats.ML_1M.ratings_file), 'a') as ratings:
    for second, movie in enumerate(records.movies):
      ratings.write(f'{user_id}::{movie.movie_id}::4::{978300000 + second}\n')
  return data_dir, user_id


def test_a_user_who_rated_every_movie_gets_no_recommendation(
    rated_everything, run):
  """Every retrieved movie is excluded; nothing is left to rank."""
  data_dir, user_id = rated_everything
  recommender = recommend.Recommender(data_dir, run.output_dir)
  assert recommender.recommend(user_id) == []


def test_the_cli_says_in_one_line_when_nothing_is_left_to_recommend(
    rated_everything, run):
  data_dir, user_id = rated_everything
  completed = subprocess.run(
      [YTDNN, 'recommend', '--user-id', str(user_id), '--data-dir', data_dir,
       '--output-dir', run.output_dir],
      capture_output=True, text=True, timeout=300)
  assert completed.returncode == 0, completed.stderr[-3000:]
  assert 'Traceback' not in completed.stderr
  assert completed.stdout.splitlines()[1:] == [
      f'user {user_id} has rated every movie the retrieval model knows: '
      'nothing to recommend']


def test_the_cli_prints_the_top_k_with_titles(run):
  completed = subprocess.run(
      [YTDNN, 'recommend', '--user-id', '3', '--k', '4', '--data-dir',
       run.data_dir, '--output-dir', run.output_dir],
      capture_output=True, text=True, timeout=300)
  assert completed.returncode == 0, completed.stderr[-3000:]
  lines = completed.stdout.splitlines()
  top = lines.index(next(line for line in lines if line.startswith('Top 4')))
  assert [line.split('.')[0].strip() for line in lines[top + 1:]] == [
      '1', '2', '3', '4']
  assert 'liked' in lines[top + 1]


def test_the_cli_without_pushed_models_fails_with_one_line(tmp_path, run):
  completed = subprocess.run(
      [YTDNN, 'recommend', '--user-id', '3', '--data-dir', run.data_dir,
       '--output-dir', str(tmp_path)],
      capture_output=True, text=True, timeout=300)
  assert completed.returncode == 1
  assert 'Traceback' not in completed.stderr
  assert 'no pushed model version' in completed.stderr
