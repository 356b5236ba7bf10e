"""The engagement head: learns which shown candidate is rated, and masks the rest."""

import numpy as np
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


def test_the_tower_learns_which_shown_candidate_is_rated(tmp_path):
  config = hyperparameters.ModelConfig(engagement_epochs=15,
                                       engagement_batch_size=32,
                                       engagement_learning_rate=3e-3)
  tf.keras.utils.set_random_seed(0)
  tower = engagement.train_engagement_tower(_lists(), config, str(tmp_path))
  test = _lists(seed=1, count=200)
  logits = tower(test.x).numpy()
  chosen = np.argmax(np.where(test.shown > 0, logits, -np.inf), axis=1)
  assert np.mean(chosen == test.target_places) > 0.8


def test_an_empty_slot_gets_no_score():
  lists = _lists(count=10)
  tower = engagement.engagement_tower(lists.x, hyperparameters.ModelConfig())
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
