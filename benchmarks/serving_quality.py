"""Quality and serving speed of a run's pushed model, through `serving_default`.

Scores the run's ingested eval examples with the pushed SavedModel, exactly as a
serving client would, sets it beside the train-mean baseline, and times
in-process requests of 100 examples (p50, p99), both of consecutive eval
examples and as `recommend` sends them (one user's side with 100 movies),
and batch throughput:

  .venv/bin/python -m benchmarks.serving_quality --output-dir OUT

where OUT is the `--output-dir` of a finished `ytdnn run`.
"""

import argparse
import json
import os
import time
from typing import Callable


import numpy as np
import tensorflow as tf
from sklearn import metrics
from tensorflow_metadata.proto.v0 import schema_pb2


from components.ingestion import outputs
from contract import features
from contract import paths
from contract import splits
from serving import recommend
from serving import scoring


def _ratings(rows: list[dict[str, outputs.Value]]) -> np.ndarray:
  return np.array([float(row[features.RATING]) for row in rows])


REQUEST_SIZE = 100
TIMED_REQUESTS = 500
WARMUP_REQUESTS = 20


def consecutive_requests(serialized: list[bytes],
                         count: int) -> list[list[bytes]]:
  """Requests of 100 consecutive eval examples, wrapping around.

  Consecutive eval examples are mostly one user's, each with its own
  history: every example of a request has its own user side.
  """
  starts = [(i * REQUEST_SIZE) % (len(serialized) - REQUEST_SIZE)
            for i in range(count)]
  return [serialized[start:start + REQUEST_SIZE] for start in starts]


def one_user_requests(rows: list[dict[str, outputs.Value]],
                      schema: schema_pb2.Schema,
                      count: int) -> list[list[bytes]]:
  """Ranking requests as `recommend` sends them: one user's side with 100 movies' sides.

  Request i joins the user's side of row i to the movies' sides of the
  100 rows after it (recommend.joined_examples), wrapping around.
  """
  user_sides = scoring.serialize_rows(
      [{name: value for name, value in row.items()
        if name not in features.MOVIE_FEATURES} for row in rows[:count]],
      schema)
  movie_sides = scoring.serialize_rows(
      [{name: value for name, value in row.items()
        if name in features.MOVIE_FEATURES}
       for row in rows[:count + REQUEST_SIZE]], schema)
  return [recommend.joined_examples(
      user_sides[i % len(user_sides)],
      [movie_sides[(i + 1 + j) % len(rows)] for j in range(REQUEST_SIZE)])
          for i in range(count)]


def request_latencies(serve: Callable[..., dict[str, tf.Tensor]],
                      rows: list[dict[str, outputs.Value]],
                      schema: schema_pb2.Schema) -> dict[str, float]:
  """p50 and p99 of requests of 100 eval examples and of one user's 100 movies.

  The two kinds alternate request by request, so a busy spell of the
  machine falls on both. The first WARMUP_REQUESTS of each are not timed.
  """
  count = WARMUP_REQUESTS + TIMED_REQUESTS
  kinds = {
      '': consecutive_requests(scoring.serialize_rows(
          rows[:count * REQUEST_SIZE], schema), count),
      '_one_user': one_user_requests(rows, schema, count),
  }
  latencies = {kind: [] for kind in kinds}
  for i in range(count):
    for kind, requests in kinds.items():
      request = tf.constant(requests[i])
      started = time.perf_counter()
      serve(examples=request)
      if i >= WARMUP_REQUESTS:
        latencies[kind].append((time.perf_counter() - started) * 1000)
  return {f'serving_p{q}_ms_100{kind}': float(np.percentile(timed, q))
          for kind, timed in latencies.items() for q in (50, 99)}


def throughput(serve: Callable[..., dict[str, tf.Tensor]],
               serialized: list[bytes]) -> dict[str, float]:
  """Examples per second scored in batches (scoring.score)."""
  started = time.perf_counter()
  scoring.score(serve, serialized)
  return {'serving_examples_per_s': len(serialized) / (
      time.perf_counter() - started)}


def head_quality(outputs: dict[str, np.ndarray],
                 actual: np.ndarray) -> dict[str, float]:
  """RMSE and MAE of the rating clipped to [1, 5], AUC(liked), star accuracy."""
  predicted = np.clip(outputs[features.RATING_HEAD][:, 0], 1, 5)
  liked = actual >= features.LIKED_MIN_RATING
  return {
      'rmse': float(np.sqrt(np.mean((predicted - actual) ** 2))),
      'mae': float(np.mean(np.abs(predicted - actual))),
      'auc_liked': float(metrics.roc_auc_score(
          liked, outputs[features.LIKED_HEAD][:, 0])),
      'stars_accuracy': float(np.mean(
          np.argmax(outputs[features.STARS_HEAD], axis=1) + 1 == actual)),
  }


def measure(output_dir: str) -> dict[str, float]:
  """RMSE, MAE, AUC(liked) and star accuracy of the pushed model on eval."""
  train = _ratings(scoring.read_rows(
      paths.latest_ingested_split(output_dir, splits.TRAIN_SPLIT)))
  eval_rows = scoring.read_rows(
      paths.latest_ingested_split(output_dir, splits.EVAL_SPLIT))
  actual = _ratings(eval_rows)
  schema = scoring.load_schema(scoring.ingested_format(paths.pipeline_root(output_dir)))
  model_dir = scoring.latest_pushed_model(
      paths.serving_model_dir(output_dir))
  serialized = scoring.serialize_rows(eval_rows, schema)
  serve = scoring.load_serving_fn(model_dir)
  return {
      'model': model_dir,
      'eval_examples': len(actual),
      **head_quality(scoring.score(serve, serialized), actual),
      'train_mean_rmse': float(np.sqrt(np.mean((train.mean() - actual) ** 2))),
      **request_latencies(serve, eval_rows, schema),
      **throughput(serve, serialized),
  }


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', default='.')
  print(json.dumps(measure(os.path.abspath(parser.parse_args().output_dir)),
                   indent=2))


if __name__ == '__main__':
  main()
