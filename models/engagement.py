"""The ranking model's engagement head: which shown candidate the user rates next.

The seed's heads (rating, stars, liked) predict how a user rates a movie
they chose, so they cannot order what retrieval offers: ordering the 300
retrieved movies by the liked probability found 3.5% of last1's next movies
in the top 10, against 32.4% in retrieval's own order (benchmarks/
two_stage.py). The paper's ranking model learns from impressions instead:
what was shown, and what was watched. This head learns from the lists the
impression retriever showed for positions it did not train on
(components/impression_gen.py): a tower scores each candidate from its
features (models/candidate_features.py) and a softmax over the shown
candidates of a list is trained to pick the one the user rated, the
listwise form of the paper's "which impression is watched".
"""

import dataclasses

import numpy as np
import tensorflow as tf

from contract import features
from models import candidate_features
from models import hyperparameters

# Added to the logit of a candidate that is not shown: no probability left.
_NOT_SHOWN = -1e9
# Lists whose features are computed at a time: about 60 MB of features.
_FEATURE_BATCH = 4096

# A request's side of a list: whose it is, when, and what they rated before.
REQUEST_SPEC = {
    features.HISTORY: tf.io.RaggedFeature(tf.int64),
    features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64),
}
LIST_SPEC = {
    **REQUEST_SPEC,
    features.CANDIDATE_MOVIE_IDS: tf.io.RaggedFeature(tf.int64),
    features.CANDIDATE_SCORES: tf.io.RaggedFeature(tf.float32),
    features.CANDIDATE_SHOWN: tf.io.RaggedFeature(tf.int64),
    features.TARGET_PLACE: tf.io.FixedLenFeature([], tf.int64),
}
_RATING_SPEC = {name: tf.io.FixedLenFeature([], tf.int64) for name in (
    features.USER_ID, features.MOVIE_ID, features.TIMESTAMP,
    features.USER_RATING_COUNT)}


@dataclasses.dataclass(frozen=True)
class Lists:
  """Training lists: each candidate's features, whether it is shown, the target's place."""
  x: np.ndarray
  shown: np.ndarray
  target_places: np.ndarray


def rating_tables(records: tf.data.Dataset) -> candidate_features.RatingTables:
  """The candidate features' tables of a split's serialized examples."""
  columns = {name: [] for name in _RATING_SPEC}
  for batch in records.batch(_FEATURE_BATCH * 4):
    parsed = tf.io.parse_example(batch, _RATING_SPEC)
    for name, value in parsed.items():
      columns[name].append(value.numpy())
  data = {name: np.concatenate(parts) for name, parts in columns.items()}
  return candidate_features.rating_tables(
      data[features.USER_ID], data[features.MOVIE_ID],
      data[features.TIMESTAMP], data[features.USER_RATING_COUNT])


def read_lists(records: tf.data.Dataset,
               features_of: candidate_features.CandidateFeatures) -> Lists:
  """The lists with a target in them, their candidates' features computed once."""
  parts = []
  for batch in records.batch(_FEATURE_BATCH):
    parsed = tf.io.parse_example(batch, LIST_SPEC)
    has_target = (parsed[features.TARGET_PLACE] !=
                  features.NO_TARGET).numpy()
    if not has_target.any():
      continue
    x = features_of(parsed[features.HISTORY], parsed[features.TIMESTAMP],
                    parsed[features.CANDIDATE_MOVIE_IDS].to_tensor(),
                    parsed[features.CANDIDATE_SCORES].to_tensor(
                        default_value=-np.inf))
    parts.append(Lists(
        x=x.numpy()[has_target],
        shown=parsed[features.CANDIDATE_SHOWN].to_tensor().numpy()[
            has_target].astype(np.float32),
        target_places=parsed[features.TARGET_PLACE].numpy()[has_target]))
  if not parts:
    raise ValueError('no training list holds its target: the impression '
                     'retriever found none of the held-out movies')
  return Lists(*(np.concatenate([getattr(part, field.name) for part in parts])
                 for field in dataclasses.fields(Lists)))


def engagement_tower(x: np.ndarray,
                     config: hyperparameters.ModelConfig) -> tf.keras.Model:
  """An MLP scoring each candidate, its inputs standardized by the training lists'."""
  flat = x.reshape(-1, x.shape[-1])
  candidates = tf.keras.Input((None, x.shape[-1]))
  hidden = tf.keras.layers.Normalization(
      mean=flat.mean(axis=0), variance=flat.var(axis=0) + 1e-12)(candidates)
  for units in config.engagement_hidden_units:
    hidden = tf.keras.layers.Dense(units, activation='relu')(hidden)
  logits = tf.squeeze(tf.keras.layers.Dense(1)(hidden), -1)
  return tf.keras.Model(candidates, logits, name=features.ENGAGEMENT_HEAD)


def _listwise_model(tower: tf.keras.Model) -> tf.keras.Model:
  """The tower's logits with the candidates that are not shown masked out."""
  candidates = tf.keras.Input((None, tower.input_shape[-1]))
  shown = tf.keras.Input((None,))
  return tf.keras.Model([candidates, shown],
                        tower(candidates) + (1.0 - shown) * _NOT_SHOWN)


def train_engagement_tower(lists: Lists, config: hyperparameters.ModelConfig,
                           run_dir: str) -> tf.keras.Model:
  """The tower fitted with a softmax over each list's shown candidates."""
  tower = engagement_tower(lists.x, config)
  model = _listwise_model(tower)
  model.compile(optimizer=tf.keras.optimizers.Adam(
      config.engagement_learning_rate),
                loss=tf.keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True))
  model.fit([lists.x, lists.shown], lists.target_places,
            batch_size=config.engagement_batch_size,
            epochs=config.engagement_epochs, verbose=2,
            callbacks=[tf.keras.callbacks.TensorBoard(run_dir)])
  return tower


def engagement_logits(tower: tf.keras.Model,
                      features_of: candidate_features.CandidateFeatures,
                      requests: dict[str, tf.Tensor], candidates: tf.Tensor,
                      scores: tf.Tensor) -> tf.Tensor:
  """The ordering score of each candidate; -inf where retrieval left the slot empty."""
  logits = tower(features_of(requests[features.HISTORY],
                             requests[features.TIMESTAMP], candidates, scores))
  return tf.where(tf.math.is_finite(scores), logits, -np.inf)
