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
import os
from typing import BinaryIO, Iterable, Iterator

import numpy as np
import tensorflow as tf

from contract import features
from models import candidate_features
from models import hyperparameters
from models import training

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
  """Training lists in memory: each candidate's features, whether it is shown, the target's place."""
  x: np.ndarray
  shown: np.ndarray
  target_places: np.ndarray


@dataclasses.dataclass(frozen=True)
class SavedLists:
  """Training lists in a scratch file, one record of `length` x `width` float32 per list.

  A record is a list's candidate features with its shown flags as a last
  column. Held whole in memory, the 300 x 13 features of ml-1m last1's
  25,884 lists took 404 MB, again while Keras sliced them, and they grow
  with the users; on disk each step reads only its own lists
  (benchmarks/engagement_cost.py: peak RSS 3,115 MB before, 1,975 after).
  """
  path: str
  length: int
  target_places: np.ndarray

  @property
  def width(self) -> int:
    return candidate_features.WIDTH + 1

  @property
  def count(self) -> int:
    return len(self.target_places)


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


def list_batches(records: tf.data.Dataset,
                 features_of: candidate_features.CandidateFeatures
                 ) -> Iterator[Lists]:
  """The lists with a target in them, a batch at a time, their candidates' features computed."""
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
    yield Lists(
        x=x.numpy()[has_target],
        shown=parsed[features.CANDIDATE_SHOWN].to_tensor().numpy()[
            has_target].astype(np.float32),
        target_places=parsed[features.TARGET_PLACE].numpy()[has_target])


def save_lists(batches: Iterable[Lists], path: str) -> SavedLists:
  """The lists written to `path`, a record each; only their target places stay in memory."""
  lengths, places = set(), []
  with open(path, 'wb') as file:
    for lists in batches:
      lengths.add(lists.x.shape[1])
      file.write(np.concatenate([lists.x, lists.shown[..., None]],
                                axis=-1).astype(np.float32).tobytes())
      places.append(lists.target_places)
  if not places:
    raise ValueError('no training list holds its target: the impression '
                     'retriever found none of the held-out movies')
  if len(lengths) > 1:
    raise ValueError(f'the impression lists have {sorted(lengths)} '
                     'candidates: every list must have as many')
  return SavedLists(path, lengths.pop(), np.concatenate(places))


def _read_records(saved: SavedLists, file: BinaryIO,
                  indices: np.ndarray) -> np.ndarray:
  """The records at `indices`, read one by one: the file is never mapped whole."""
  size = saved.length * saved.width * 4
  return np.stack([
      np.frombuffer(os.pread(file.fileno(), size, int(index) * size),
                    np.float32) for index in indices
  ]).reshape(len(indices), saved.length, saved.width)


def list_dataset(saved: SavedLists, file: BinaryIO, batch_size: int,
                 with_targets: bool = True) -> tf.data.Dataset:
  """Batches of the saved lists in a new uniform order every epoch.

  Only the lists' indices are shuffled, so the order is a permutation of
  every list, as Keras gave in-memory arrays, at 8 bytes a list.
  """
  targets = tf.constant(saved.target_places)
  records_shape = (None, saved.length, saved.width)

  def read(indices: tf.Tensor):
    records = tf.numpy_function(
        lambda batch: _read_records(saved, file, batch), [indices],
        tf.float32, stateful=False)
    records = tf.ensure_shape(records, records_shape)
    inputs = (records[..., :-1], records[..., -1])
    return (inputs, tf.gather(targets, indices)) if with_targets else inputs

  return training.without_autotuning(tf.data.Dataset.range(saved.count)).shuffle(
      saved.count, reshuffle_each_iteration=True).batch(batch_size).map(
          read).prefetch(2)


def engagement_tower(candidates: tf.data.Dataset,
                     config: hyperparameters.ModelConfig) -> tf.keras.Model:
  """An MLP scoring each candidate, its inputs standardized by `candidates`' batches."""
  normalization = tf.keras.layers.Normalization()
  normalization.adapt(candidates)
  inputs = tf.keras.Input((None, candidate_features.WIDTH))
  hidden = normalization(inputs)
  for units in config.engagement_hidden_units:
    hidden = tf.keras.layers.Dense(units, activation='relu')(hidden)
  logits = tf.squeeze(tf.keras.layers.Dense(1)(hidden), -1)
  return tf.keras.Model(inputs, logits, name=features.ENGAGEMENT_HEAD)


def _listwise_model(tower: tf.keras.Model) -> tf.keras.Model:
  """The tower's logits with the candidates that are not shown masked out."""
  candidates = tf.keras.Input((None, tower.input_shape[-1]))
  shown = tf.keras.Input((None,))
  return tf.keras.Model([candidates, shown],
                        tower(candidates) + (1.0 - shown) * _NOT_SHOWN)


def train_engagement_tower(lists: SavedLists,
                           config: hyperparameters.ModelConfig,
                           run_dir: str) -> tf.keras.Model:
  """The tower fitted with a softmax over each list's shown candidates."""
  with open(lists.path, 'rb') as file:
    tower = engagement_tower(
        list_dataset(lists, file, _FEATURE_BATCH, with_targets=False).map(
            lambda candidates, shown: candidates), config)
    model = _listwise_model(tower)
    model.compile(optimizer=tf.keras.optimizers.Adam(
        config.engagement_learning_rate),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(
                      from_logits=True))
    model.fit(list_dataset(lists, file, config.engagement_batch_size),
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
