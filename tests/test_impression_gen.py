"""The impression lists: which positions, what was shown, and nothing from later."""

import collections

import numpy as np
import tensorflow as tf
from tfx.utils import path_utils

from components import impression_gen
from components import retrieval_evaluator
from components.ingestion import validate
from contract import features
from contract import paths
from contract import splits
from models import engagement
from models import training


def test_each_users_newest_positions_are_chosen():
  users = np.array([1, 1, 1, 2, 2, 3])
  positions = np.array([0, 2, 1, 5, 4, 0])
  assert splits.newest_per_user(users, positions, 2).tolist() == [
      False, True, True, True, True, True]
  assert not splits.newest_per_user(users, positions, 0).any()


def test_a_targets_place_is_where_its_list_holds_it():
  movie_ids = np.array([[4, 5, 6], [7, 8, 9]])
  assert impression_gen.target_places(movie_ids, np.array([6, 1])).tolist() == [
      2, features.NO_TARGET]


def _lists(run) -> dict[str, np.ndarray]:
  split_dir = paths.split_dir(paths.latest_output(
      paths.pipeline_root(run.output_dir), paths.IMPRESSION_GEN,
      'impressions'), splits.TRAIN_SPLIT)
  spec = {**engagement.LIST_SPEC,
          features.USER_ID: tf.io.FixedLenFeature([], tf.int64)}
  batch = next(iter(training.raw_records([f'{split_dir}/*']).batch(100_000)))
  parsed = tf.io.parse_example(batch, spec)
  return {name: (value.to_list() if isinstance(value, tf.RaggedTensor)
                 else value.numpy()) for name, value in parsed.items()}


def test_lists_are_shown_for_each_users_newest_train_ratings_only(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  lists = _lists(run)
  train, _ = retrieval_evaluator.read_split(
      paths.latest_ingested_split(run.output_dir, splits.TRAIN_SPLIT),
      keep_examples=False)
  train_counts = collections.Counter(train.user_ids.tolist())
  assert collections.Counter(lists[features.USER_ID].tolist()) == {
      user: min(count, splits.IMPRESSION_POSITIONS)
      for user, count in train_counts.items()}
  assert (lists[features.TARGET_PLACE] != features.NO_TARGET).mean() > 0.3


def test_no_list_shows_an_earlier_movie_or_counts_a_later_one_as_a_negative(
    run):
  """A list's history and time are its position's; later train movies are not negatives.

  Only the train split's: the eval split's ratings stay unseen by training.
  """
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  lists = _lists(run)
  train, _ = retrieval_evaluator.read_split(
      paths.latest_ingested_split(run.output_dir, splits.TRAIN_SPLIT),
      keep_examples=False)
  trained = set(zip(train.user_ids.tolist(), train.movie_ids.tolist()))
  by_user = collections.defaultdict(list)
  for rating in validate.read_valid_records(run.data_dir).ratings:
    by_user[rating.user_id].append(rating)
  for row, user in enumerate(lists[features.USER_ID]):
    rated = sorted(by_user[user],
                   key=lambda rating: (rating.timestamp, rating.movie_id))
    ids = [rating.movie_id for rating in rated]
    history = lists[features.HISTORY][row]
    # The list's position: its rating's time, after the history's movies
    # (a user rates a movie once, so the history's window fixes it).
    [position] = [
        index for index, rating in enumerate(rated)
        if rating.timestamp == lists[features.TIMESTAMP][row] and
        ids[max(0, index - len(history)):index] == history and
        (history or index == 0)]
    earlier = set(ids[:position])
    later = {movie for movie in ids[position + 1:] if (user, movie) in trained}
    candidates = np.array(lists[features.CANDIDATE_MOVIE_IDS][row])
    scores = np.array(lists[features.CANDIDATE_SCORES][row])
    shown = np.array(lists[features.CANDIDATE_SHOWN][row], bool)
    assert not set(candidates[np.isfinite(scores)].tolist()) & earlier
    for movie, is_shown, score in zip(candidates, shown, scores):
      assert is_shown == (np.isfinite(score) and movie not in later), (
          user, movie)
    place = lists[features.TARGET_PLACE][row]
    if place != features.NO_TARGET:
      assert candidates[place] == ids[position]
      assert shown[place]


def test_lists_made_a_few_requests_at_a_time_are_the_lists_made_at_once(run):
  """ImpressionGen serves its requests in chunks: the chunks change nothing.

  Chunks of one serving batch, so each batch the model scores holds the
  same requests either way (a matmul's last bits may depend on its rows).
  """
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  train_uri = paths.latest_ingested_split(run.output_dir, splits.TRAIN_SPLIT)
  model_dir = path_utils.serving_model_path(paths.latest_output(
      paths.pipeline_root(run.output_dir), paths.IMPRESSION_TRAINER, 'model'))

  def parsed(chunk_size: int) -> list[tf.train.Example]:
    return [tf.train.Example.FromString(serialized)
            for serialized in impression_gen.impression_lists(
                train_uri, model_dir, splits.IMPRESSION_POSITIONS, chunk_size)]

  chunk = retrieval_evaluator._REQUEST_BATCH  # pylint: disable=protected-access
  in_chunks = parsed(chunk)
  assert len(in_chunks) > chunk
  assert in_chunks == parsed(1_000_000)
