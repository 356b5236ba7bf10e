"""Which features let a second stage reorder retrieval's 300 candidates? A carve-out probe.

Issue 37's ranking stage must beat the retrieval order on `last1`. Before a
pipeline node is built for it, this measures on the carve-out of the last1
train split (each user's latest train rating held out, the retrieval model
trained on the rest, benchmarks/tune_retrieval.py) what a listwise ranker
over the retrieved 300 gains, and which feature families it gains from:

  retrieval    the retrieval model's score, its gap to the list's best, the rank;
  popularity   the candidate's ratings in the 7 and 30 days before the
               request, all its ratings before it, and its age (days since
               its first rating);
  affinity     the user's share of history movies in the candidate's genres,
               and the gap between its year and the history's median year;
  sequence     co-occurrence: how often the candidate was rated within
               SEQUENCE_WINDOW ratings after each of the user's newest
               movies, by other users, before the request.

Every count reads only ratings of the carve-out's rest, earlier than the
request (co-occurrence as of the start of the request's time block, so a
little older still). The ranker, a small MLP scoring each candidate with a
softmax over the list, learns from impressions as issue 37 describes them:
a second retrieval model trains without each user's IMPRESSION_POSITIONS
newest rest ratings, and lists 300 candidates for each of those positions;
the rated movie is the positive, the other candidates the negatives, less
the movies the user rates later. It then reorders the carve-out's lists,
which the retrieval model trained on the whole rest served.

  .venv/bin/python -m benchmarks.rerank_probe --output-dir OUT [--rankers]
      # -> benchmarks/results/rerank_probe_last1[_rankers].json

OUT is a finished `ytdnn run --split-protocol last1`. With `--targets eval`
the same steps run on the whole train split and rank the eval split's
targets, to confirm what the carve-out chose, never to choose
(-> rerank_probe_last1_eval.json). With `--rankers` the ranker's forms
(RANKER_FORMS: a wider tower, more epochs, a logistic loss beside the
softmax) are tried on the pipeline's three families instead.
"""

import argparse
import dataclasses
import json
import os
import sys
import time
from typing import Callable

import numpy as np
import tensorflow as tf

from benchmarks import baselines
from benchmarks import tune_retrieval
from components import impression_gen
from components import retrieval_evaluator
from contract import features
from contract import paths
from contract import retrieval_metrics
from contract import splits
from models import hyperparameters

SECONDS_PER_DAY = 86_400
POPULARITY_WINDOWS_DAYS = (7, 30)
# Ratings after a movie, in the same user's sequence, that count as following it.
SEQUENCE_WINDOW = 10
# The user's newest movies whose followers are counted, newest first.
SEQUENCE_SOURCES = 5
# Co-occurrence counts are refreshed once per block of this many requests.
REQUESTS_PER_BLOCK = 64
FAMILIES = ('retrieval', 'popularity', 'affinity', 'sequence')
# The families models/candidate_features.py computes: affinity did not pay.
PIPELINE_FAMILIES = ('retrieval', 'popularity', 'sequence')
CARVE_OUT = 'carve-out'
EVAL = 'eval'
# Where the targets come from: the train split's carve-out, or eval with the
# whole train split behind it.
TARGETS = {CARVE_OUT: tune_retrieval.carve_out,
           EVAL: tune_retrieval.eval_holdout}
RESULTS_FILES = {CARVE_OUT: 'rerank_probe_last1.json',
                 EVAL: 'rerank_probe_last1_eval.json'}
RANKERS_RESULTS_FILE = 'rerank_probe_last1_rankers.json'
_READ_BATCH = 8192


@dataclasses.dataclass(frozen=True)
class RatingLog:
  """The rest of the train split: who rated what, when, in time order."""
  user_ids: np.ndarray
  movie_ids: np.ndarray
  timestamps: np.ndarray
  positions: np.ndarray


@dataclasses.dataclass(frozen=True)
class MovieFacts:
  """Each movie's genres (a bit mask) and year, indexed by movie id."""
  genre_bits: np.ndarray
  years: np.ndarray


def _columns(serialized: list[bytes]) -> tuple[dict[str, np.ndarray],
                                              MovieFacts]:
  """The columns the features need of every example, and each movie's facts."""
  spec = {name: tf.io.FixedLenFeature([], tf.int64) for name in (
      features.USER_ID, features.MOVIE_ID, features.TIMESTAMP,
      features.USER_RATING_COUNT, features.MOVIE_YEAR)}
  spec.update({name: tf.io.FixedLenFeature([], tf.string, default_value='')
               for name in features.GENRE_COLUMNS})
  columns: dict[str, list[np.ndarray]] = {name: [] for name in spec}
  for start in range(0, len(serialized), _READ_BATCH):
    parsed = tf.io.parse_example(
        tf.constant(serialized[start:start + _READ_BATCH]), spec)
    for name, value in parsed.items():
      columns[name].append(value.numpy())
  data = {name: np.concatenate(parts) for name, parts in columns.items()}
  genres = sorted({genre for name in features.GENRE_COLUMNS
                   for genre in np.unique(data[name]) if genre})
  bit = {genre: 1 << index for index, genre in enumerate(genres)}
  size = int(data[features.MOVIE_ID].max()) + 1
  genre_bits = np.zeros(size, np.int64)
  years = np.zeros(size, np.float64)
  movies = data[features.MOVIE_ID]
  for name in features.GENRE_COLUMNS:
    genre_bits[movies] |= np.array([bit.get(value, 0) for value in data[name]])
  years[movies] = data[features.MOVIE_YEAR]
  return data, MovieFacts(genre_bits, years)


def _rating_log(data: dict[str, np.ndarray], keep: np.ndarray) -> RatingLog:
  order = np.argsort(data[features.TIMESTAMP][keep], kind='stable')
  return RatingLog(*(data[name][keep][order] for name in (
      features.USER_ID, features.MOVIE_ID, features.TIMESTAMP,
      features.USER_RATING_COUNT)))


def _follow_pairs(log: RatingLog) -> tuple[np.ndarray, np.ndarray,
                                           np.ndarray]:
  """(earlier movie, later movie, later rating's time) of every pair within the window."""
  order = np.lexsort((log.positions, log.user_ids))
  users, movies, times = (log.user_ids[order], log.movie_ids[order],
                          log.timestamps[order])
  earlier, later, at = [], [], []
  for lag in range(1, SEQUENCE_WINDOW + 1):
    same_user = users[lag:] == users[:-lag]
    earlier.append(movies[:-lag][same_user])
    later.append(movies[lag:][same_user])
    at.append(times[lag:][same_user])
  earlier, later, at = map(np.concatenate, (earlier, later, at))
  by_time = np.argsort(at, kind='stable')
  return earlier[by_time], later[by_time], at[by_time]


@dataclasses.dataclass(frozen=True)
class Request:
  """A list's request: whose it is, when, and the movies rated before it."""
  user_id: int
  timestamp: int
  history: np.ndarray  # movie ids, newest last


def _requests(serialized: list[bytes]) -> list[Request]:
  """The requests of serialized examples."""
  parsed = tf.io.parse_example(tf.constant(serialized), {
      features.USER_ID: tf.io.FixedLenFeature([], tf.int64),
      features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64),
      features.HISTORY: tf.io.RaggedFeature(tf.int64)})
  return [Request(int(user), int(timestamp), history)
          for user, timestamp, history in zip(
              parsed[features.USER_ID].numpy(),
              parsed[features.TIMESTAMP].numpy(),
              parsed[features.HISTORY].numpy())]


def _retrieval_features(scores: np.ndarray) -> np.ndarray:
  """The retrieval score, its gap to the list's best and log(1 + rank)."""
  lists, length = scores.shape
  finite = np.isfinite(scores)
  best = np.max(np.where(finite, scores, -np.inf), axis=1, keepdims=True)
  safe_scores = np.where(finite, scores, best - 50.0)
  return np.stack([safe_scores, safe_scores - best,
                   np.broadcast_to(np.log1p(np.arange(length)),
                                   (lists, length))], axis=-1)


def _popularity_features(movie_ids: np.ndarray, request_times: np.ndarray,
                         log: RatingLog, size: int) -> np.ndarray:
  """log(1 + ratings) in each window and before the request, and log(1 + age in days)."""
  by_movie = np.lexsort((log.timestamps, log.movie_ids))
  movie_sorted, time_sorted = log.movie_ids[by_movie], log.timestamps[by_movie]
  movie_start = np.searchsorted(movie_sorted, np.arange(size))
  first_time = time_sorted[np.minimum(movie_start, len(time_sorted) - 1)]
  # One sorted key per rating, (movie, time), so one search counts a movie's
  # ratings before any time.
  flat = movie_sorted.astype(np.float64) * 1e10 + time_sorted

  def ratings_before(until: np.ndarray) -> np.ndarray:
    keys = movie_ids.astype(np.float64) * 1e10 + until
    return np.searchsorted(flat, keys.ravel()).reshape(keys.shape) - (
        movie_start[movie_ids])

  now = np.broadcast_to(request_times[:, np.newaxis], movie_ids.shape)
  before_now = ratings_before(now)
  columns = [np.log1p(before_now - ratings_before(now - days * SECONDS_PER_DAY))
             for days in POPULARITY_WINDOWS_DAYS]
  columns.append(np.log1p(before_now))
  age_days = np.where(before_now > 0,
                      (now - first_time[movie_ids]) / SECONDS_PER_DAY, 0.0)
  columns.append(np.log1p(age_days))
  return np.stack(columns, axis=-1)


def _affinity_features(requests: list[Request], movie_ids: np.ndarray,
                       facts: MovieFacts) -> np.ndarray:
  """The share of the history sharing a genre, and the year gap to its median."""
  genre_share = np.zeros(movie_ids.shape)
  year_gap = np.zeros(movie_ids.shape)
  for row, request in enumerate(requests):
    if not request.history.size:
      continue
    history_bits = facts.genre_bits[request.history]
    candidate_bits = facts.genre_bits[movie_ids[row]]
    genre_share[row] = np.mean(
        (history_bits[np.newaxis, :] & candidate_bits[:, np.newaxis]) != 0,
        axis=1)
    year_gap[row] = (facts.years[movie_ids[row]] -
                     np.median(facts.years[request.history])) / 10.0
  return np.stack([genre_share, year_gap, np.abs(year_gap)], axis=-1)


def _sequence_features(requests: list[Request], movie_ids: np.ndarray,
                       request_times: np.ndarray, log: RatingLog,
                       size: int) -> np.ndarray:
  """log(1 + times the candidate followed each newest movie), and the summed shares.

  The counts grow in time order and are read as of the start of each block
  of requests, so a request sees only pairs completed before it.
  """
  earlier, later, at = _follow_pairs(log)
  followers = np.zeros((size, size), np.int32)
  followed_counts = np.zeros(size, np.int64)
  sequence = np.zeros((*movie_ids.shape, SEQUENCE_SOURCES + 1))
  applied = 0
  by_request_time = np.argsort(request_times, kind='stable')
  for block_start in range(0, len(requests), REQUESTS_PER_BLOCK):
    block = by_request_time[block_start:block_start + REQUESTS_PER_BLOCK]
    until = np.searchsorted(at, request_times[block].min())
    np.add.at(followers, (earlier[applied:until], later[applied:until]), 1)
    np.add.at(followed_counts, earlier[applied:until], 1)
    applied = until
    for row in block:
      sources = requests[row].history[::-1][:SEQUENCE_SOURCES]
      counts = followers[sources][:, movie_ids[row]]
      sequence[row, :, :len(sources)] = np.log1p(counts).T
      sequence[row, :, SEQUENCE_SOURCES] = np.sum(
          counts / np.maximum(followed_counts[sources], 1)[:, np.newaxis],
          axis=0)
  return sequence


def list_features(requests: list[Request], movie_ids: np.ndarray,
                  scores: np.ndarray, log: RatingLog,
                  facts: MovieFacts) -> dict[str, np.ndarray]:
  """Each family's [requests, candidates, width] features, from earlier ratings only."""
  size = len(facts.years)
  request_times = np.array([request.timestamp for request in requests])
  return {
      'retrieval': _retrieval_features(scores),
      'popularity': _popularity_features(movie_ids, request_times, log, size),
      'affinity': _affinity_features(requests, movie_ids, facts),
      'sequence': _sequence_features(requests, movie_ids, request_times, log,
                                     size)}


@dataclasses.dataclass(frozen=True)
class ListSet:
  """Candidate lists, their targets and which candidates count.

  x: [lists, candidates, width] features; labels: the target's place in its
  list, or -1; shown: false for a movie the user rates later (not a negative)
  and for a slot retrieval left empty.
  """
  x: np.ndarray
  labels: np.ndarray
  shown: np.ndarray


@dataclasses.dataclass(frozen=True)
class RankerForm:
  """The ranker's tower, epochs, and the weight of a per-candidate logistic
  loss (the paper's form) added to the listwise softmax."""
  hidden_units: tuple[int, ...] = (64, 32)
  epochs: int = 8
  logistic_weight: float = 0.0


# Ranker forms tried on the pipeline's families with --rankers, for HR@50.
RANKER_FORMS = {
    'ranker_64_32': RankerForm(),
    'ranker_128_64': RankerForm(hidden_units=(128, 64)),
    'ranker_16_epochs': RankerForm(epochs=16),
    'ranker_softmax_and_logistic': RankerForm(logistic_weight=1.0),
}


def _ranker(width: int, form: RankerForm) -> tf.keras.Model:
  """Per-candidate MLP scores; a candidate that is not shown gets no probability."""
  candidates = tf.keras.Input((None, width))
  shown = tf.keras.Input((None,))
  hidden = candidates
  for units in form.hidden_units:
    hidden = tf.keras.layers.Dense(units, activation='relu')(hidden)
  logits = tf.squeeze(tf.keras.layers.Dense(1)(hidden), -1)
  return tf.keras.Model([candidates, shown], logits + (shown - 1.0) * 1e9)


def _loss(form: RankerForm
          ) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
  """Softmax over each list, plus each candidate's logistic loss if weighted.

  A candidate that is not shown has a logit of -1e9: no logistic loss.
  """
  softmax = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
  if not form.logistic_weight:
    return softmax

  def loss(places: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    positives = tf.one_hot(tf.cast(tf.reshape(places, [-1]), tf.int32),
                           tf.shape(logits)[-1])
    logistic = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(
        positives, logits), axis=-1)
    return softmax(places, logits) + form.logistic_weight * tf.reduce_mean(
        logistic)

  return loss


def fit_and_rank(fit: ListSet, rank: ListSet,
                 form: RankerForm) -> np.ndarray:
  """Ranks of `rank`'s targets in its lists, reordered by a ranker fitted on `fit`."""
  tf.keras.utils.set_random_seed(0)
  trainable = fit.labels >= 0
  x = fit.x[trainable]
  mean = x.reshape(-1, x.shape[-1]).mean(axis=0)
  std = x.reshape(-1, x.shape[-1]).std(axis=0) + 1e-6
  model = _ranker(x.shape[-1], form)
  model.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss=_loss(form))
  model.fit([((x - mean) / std).astype(np.float32),
             fit.shown[trainable].astype(np.float32)],
            fit.labels[trainable], batch_size=64, epochs=form.epochs,
            verbose=2)
  logits = model.predict([((rank.x - mean) / std).astype(np.float32),
                          rank.shown.astype(np.float32)],
                         batch_size=256, verbose=0)
  return np.array([
      retrieval_metrics.MISS if label < 0 else
      retrieval_metrics.target_rank(row_logits, int(label), [])
      for label, row_logits in zip(rank.labels, logits)])


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True,
                      help='the output directory of a finished last1 run')
  parser.add_argument('--targets', choices=tuple(TARGETS), default=CARVE_OUT)
  parser.add_argument('--epochs', type=int, default=8)
  parser.add_argument('--impression-positions', type=int, default=5)
  parser.add_argument('--impression-retrieval-epochs', type=int, default=2)
  parser.add_argument('--rankers', action='store_true',
                      help='instead of dropping feature families, try the '
                      'ranker forms of RANKER_FORMS on the pipeline\'s three')
  args = parser.parse_args()
  if args.rankers and args.targets != CARVE_OUT:
    parser.error('--rankers chooses, so it runs on the carve-out only')
  started = time.monotonic()
  machine = baselines.machine()
  carve = TARGETS[args.targets](args.output_dir)
  train, serialized = retrieval_evaluator.read_split(
      paths.latest_ingested_split(args.output_dir, splits.TRAIN_SPLIT),
      keep_examples=True)
  data, facts = _columns(serialized)
  log = _rating_log(data, ~carve.held_out)
  config = hyperparameters.RetrievalConfig()

  impressed = splits.newest_per_user(
      np.where(carve.held_out, -1, train.user_ids), train.earlier_counts,
      args.impression_positions) & ~carve.held_out
  impression_targets, later_movies = impression_gen.position_targets(
      train, retrieval_evaluator.EarlierMovies(train), serialized,
      np.flatnonzero(impressed))
  impression_retrieval = tune_retrieval.train_retrieval(
      dataclasses.replace(carve, held_out=carve.held_out | impressed,
                          targets=impression_targets),
      dataclasses.replace(config, epochs=args.impression_retrieval_epochs))
  retrieval = tune_retrieval.train_retrieval(carve, config)

  list_sets = {}
  for name, serve, targets in (
      ('impressions', impression_retrieval.serve, impression_targets),
      ('carve_out', retrieval.serve, carve.targets)):
    movie_ids, scores = retrieval_evaluator.served_lists(serve,
                                                         targets.requests)
    shown = np.isfinite(scores)
    if name == 'impressions':
      shown &= ~np.array([np.isin(row, later) for row, later in zip(
          movie_ids, later_movies)])
    list_sets[name] = (list_features(_requests(targets.requests), movie_ids,
                                     scores, log, facts),
                       impression_gen.target_places(movie_ids,
                                                    targets.movie_ids), shown)
  prepared_s = time.monotonic() - started
  carve_labels = list_sets['carve_out'][1]
  results = {
      'command': ' '.join(sys.argv), 'machine': machine,
      'impression_lists': len(list_sets['impressions'][1]),
      'impression_target_in_list_share': float(
          np.mean(list_sets['impressions'][1] >= 0)),
      'targets': len(carve_labels),
      'target_in_list_share': float(np.mean(carve_labels >= 0)),
      'retrieval_order': retrieval_metrics.metrics(
          np.where(carve_labels >= 0, carve_labels, retrieval_metrics.MISS))}
  print(json.dumps(results), flush=True)
  form = RankerForm(epochs=args.epochs)
  if args.rankers:
    variants = {name: (PIPELINE_FAMILIES, ranker_form)
                for name, ranker_form in RANKER_FORMS.items()}
  else:
    variants = {'all': (FAMILIES, form),
                'retrieval_only': (('retrieval',), form)}
    variants.update({f'without_{family}': (tuple(
        name for name in FAMILIES if name != family), form)
                     for family in FAMILIES if family != 'retrieval'})
  for name, (chosen, ranker_form) in variants.items():
    fit, rank = (ListSet(np.concatenate([families[family] for family in chosen],
                                        axis=-1), labels, shown)
                 for families, labels, shown in (list_sets['impressions'],
                                                 list_sets['carve_out']))
    ranks = fit_and_rank(fit, rank, ranker_form)
    results[name] = retrieval_metrics.metrics(ranks)
    results[name]['ndcg@10_delta_ci95'] = (
        retrieval_metrics.paired_difference_ci95(
            ranks, np.where(carve_labels >= 0, carve_labels,
                            retrieval_metrics.MISS), 'ndcg@10'))
    print(json.dumps({name: results[name]}), flush=True)
  results['prepare_s'] = prepared_s
  results['total_s'] = time.monotonic() - started
  print('wrote ' + baselines.write_results(
      results, os.path.join(os.path.dirname(os.path.dirname(
          os.path.abspath(__file__))), 'benchmarks', 'results'),
      RANKERS_RESULTS_FILE if args.rankers else RESULTS_FILES[args.targets]))


if __name__ == '__main__':
  main()
