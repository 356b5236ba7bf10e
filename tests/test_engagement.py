"""The engagement head: learns which shown candidate is rated, and masks the rest."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from contract import features
from models import candidate_features
from models import engagement
from models import hyperparameters


def _lists(seed: int = 0, count: int = 600, length: int = 20
           ) -> engagement.Lists:
  """Lists whose rated candidate is the shown one with the highest column 5."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(count, length, candidate_features.WIDTH)).astype(
      np.float32)
  shown = (rng.random((count, length)) > 0.2).astype(np.float32)
  places = np.argmax(np.where(shown > 0, x[..., 5], -np.inf), axis=1)
  return engagement.Lists(x=x, shown=shown, target_places=places)


def _saved(lists: engagement.Lists, directory) -> engagement.SavedLists:
  """`lists` written in two batches, as the Trainer writes them."""
  half = len(lists.target_places) // 2
  return engagement.save_lists(
      [engagement.Lists(*(value[:half] for value in dataclasses.astuple(lists))),
       engagement.Lists(*(value[half:] for value in dataclasses.astuple(lists)))],
      str(directory / 'lists'))


def test_the_tower_learns_which_shown_candidate_is_rated(tmp_path):
  config = hyperparameters.ModelConfig(engagement_epochs=15,
                                       engagement_batch_size=32,
                                       engagement_learning_rate=3e-3)
  tf.keras.utils.set_random_seed(0)
  tower = engagement.train_engagement_tower(_saved(_lists(), tmp_path), config,
                                            str(tmp_path))
  test = _lists(seed=1, count=200)
  logits = tower(test.x).numpy()
  chosen = np.argmax(np.where(test.shown > 0, logits, -np.inf), axis=1)
  assert np.mean(chosen == test.target_places) > 0.8


def test_an_empty_slot_gets_no_score():
  lists = _lists(count=10)
  tower = engagement.engagement_tower(tf.data.Dataset.from_tensors(lists.x),
                                     hyperparameters.ModelConfig())
  tables = candidate_features.rating_tables(
      np.array([1, 1]), np.array([3, 4]), np.array([10, 20]),
      np.array([0, 1]))
  logits = engagement.engagement_logits(
      tower, candidate_features.CandidateFeatures(tables),
      {features.HISTORY: tf.ragged.constant([[3]], dtype=tf.int64),
       features.TIMESTAMP: tf.constant([30], tf.int64)},
      tf.constant([[4, 5, 0]], tf.int64),
      tf.constant([[1.0, 0.5, -np.inf]])).numpy()
  assert np.isfinite(logits[0, :2]).all()
  assert logits[0, 2] == -np.inf


def test_every_saved_list_is_read_once_an_epoch_with_its_target(tmp_path):
  lists = _lists(count=150)
  saved = _saved(lists, tmp_path)
  assert saved.count == 150 and saved.length == 20
  with open(saved.path, 'rb') as file:
    epochs = [list(engagement.list_dataset(saved, file, batch_size=64))
              for _ in range(2)]
  orders = []
  for batches in epochs:
    assert [len(targets) for _, targets in batches] == [64, 64, 22]
    x = np.concatenate([inputs[0].numpy() for inputs, _ in batches])
    shown = np.concatenate([inputs[1].numpy() for inputs, _ in batches])
    targets = np.concatenate([targets.numpy() for _, targets in batches])
    # Column 0 is drawn from a continuous normal, so it names each list.
    order = np.argsort(lists.x[:, 0, 0])[np.searchsorted(
        np.sort(lists.x[:, 0, 0]), x[:, 0, 0])]
    assert sorted(order) == list(range(150))
    np.testing.assert_array_equal(x, lists.x[order])
    np.testing.assert_array_equal(shown, lists.shown[order])
    np.testing.assert_array_equal(targets, lists.target_places[order])
    orders.append(order)
  assert list(orders[0]) != list(orders[1])


def test_the_tower_standardizes_by_the_saved_lists_moments(tmp_path):
  lists = _lists(count=300)
  saved = _saved(lists, tmp_path)
  with open(saved.path, 'rb') as file:
    candidates = engagement.list_dataset(saved, file, 64, with_targets=False)
    tower = engagement.engagement_tower(
        candidates.map(lambda x, shown: x), hyperparameters.ModelConfig())
  normalization = tower.get_layer(index=1)
  flat = lists.x.reshape(-1, lists.x.shape[-1])
  np.testing.assert_allclose(normalization.mean.numpy().ravel(),
                             flat.mean(axis=0), atol=1e-5)
  np.testing.assert_allclose(normalization.variance.numpy().ravel(),
                             flat.var(axis=0), rtol=1e-4)


def test_lists_of_different_lengths_are_refused(tmp_path):
  short, long = _lists(count=4, length=5), _lists(count=4, length=6)
  with pytest.raises(ValueError, match=r'\[5, 6\] candidates'):
    engagement.save_lists([short, long], str(tmp_path / 'lists'))


def test_no_list_with_a_target_is_refused(tmp_path):
  with pytest.raises(ValueError, match='no training list holds its target'):
    engagement.save_lists([], str(tmp_path / 'lists'))
