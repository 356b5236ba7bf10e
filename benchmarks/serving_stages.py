"""Where a ranking request's time goes: the call, parsing, the Transform, the model.

Times one user's 100 movies (serving_quality.one_user_requests) through
graphs that stop after each stage of `serving_default`, alternating them
request by request, so that the differences between their p50s are what
each stage adds. Each stage returns one number, so that handing its
outputs back to Python is not counted; `serving_default` itself, which
returns the three heads, is timed beside them. The model is the ranking
model of the run's Transform graph with the default config and untrained
weights: its ops, and so its time, do not depend on the weights.

  .venv/bin/python -m benchmarks.serving_stages --output-dir OUT [--members 5]

where OUT is the `--output-dir` of a finished `ytdnn run`.
"""

import argparse
import json
import os
import time
from typing import Callable

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft

from benchmarks import bare_trainer
from benchmarks import serving_quality
from contract import features
from contract import paths
from contract import splits
from models import hyperparameters
from models import ranking_model
from models import signatures
from models import training
from serving import scoring

Tensors = dict[str, tf.Tensor | tf.SparseTensor | tf.RaggedTensor]


def _touch(tensors: Tensors) -> tf.Tensor:
  """One number that needs every tensor computed: the sum of their sizes."""
  sizes = []
  for value in tensors.values():
    if isinstance(value, tf.SparseTensor):
      value = value.values
    elif isinstance(value, tf.RaggedTensor):
      value = value.flat_values
    sizes.append(tf.cast(tf.size(value), tf.float32))
  return tf.add_n(sizes)


def stages(tf_transform_output: tft.TFTransformOutput,
           sizes: ranking_model.VocabularySizes, members: int) -> dict[str, Callable[[tf.Tensor], tf.Tensor]]:
  """The stage graphs, each a prefix of `serving_default`, and `serving_default` itself."""
  model = ranking_model.build_ranking_model(
      sizes, hyperparameters.ModelConfig(), members)
  serve = signatures.make_signatures(
      model, tf_transform_output)[signatures.SERVING_DEFAULT]
  request_spec = signatures.request_spec(tf_transform_output)

  def transformed(examples: tf.Tensor) -> Tensors:
    outputs = model.tft_layer(tf.io.parse_example(examples, request_spec))
    return {name: outputs[name] for name in model.input_names}

  def whole_request(examples: tf.Tensor) -> tf.Tensor:
    return tf.reduce_sum(model(transformed(examples))[features.RATING_HEAD])

  graphs = {
      'call': lambda examples: tf.cast(tf.size(examples), tf.float32),
      'parse': lambda examples: _touch(
          tf.io.parse_example(examples, request_spec)),
      'parse_transform': lambda examples: _touch(transformed(examples)),
      'whole_request': whole_request,
  }
  return {
      **{name: tf.function(graph,
                           input_signature=[signatures.EXAMPLES_SPEC])
         for name, graph in graphs.items()},
      signatures.SERVING_DEFAULT: serve,
  }


def stage_latencies(stage_fns: dict[str, Callable[[tf.Tensor], tf.Tensor]],
                    requests: list[list[bytes]]) -> dict[str, float]:
  """p50 and p99 of each stage over the requests; the first WARMUP_REQUESTS are not timed.

  The stages take the requests in turn, in reverse order every other
  request, so none always runs right after another.
  """
  latencies = {name: [] for name in stage_fns}
  order = list(stage_fns.items())
  for i, request in enumerate(requests):
    request = tf.constant(request)
    for name, stage in (order if i % 2 else order[::-1]):
      started = time.perf_counter()
      stage(request)
      if i >= serving_quality.WARMUP_REQUESTS:
        latencies[name].append((time.perf_counter() - started) * 1000)
  return {f'{name}_p{q}_ms': round(float(np.percentile(timed, q)), 3)
          for name, timed in latencies.items() for q in (50, 99)}


def measure(output_dir: str, members: int, count: int) -> dict[str, float]:
  """Each stage's p50 and p99 on `count` one-user requests of the run's eval examples."""
  pipeline_root = paths.pipeline_root(output_dir)
  tf_transform_output = bare_trainer.latest_transform_graph(pipeline_root)
  rows = scoring.read_rows(
      paths.latest_ingested_split(output_dir, splits.EVAL_SPLIT))
  requests = serving_quality.one_user_requests(
      rows, scoring.load_schema(scoring.ingested_format(pipeline_root)), count)
  return {'members': members, 'load_average_1min': os.getloadavg()[0],
          **stage_latencies(stages(
              tf_transform_output, bare_trainer.latest_sizes(pipeline_root),
              members), requests)}


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', default='.')
  parser.add_argument('--members', type=int,
                      default=hyperparameters.ModelConfig.ensemble_size)
  parser.add_argument('--requests', type=int,
                      default=serving_quality.WARMUP_REQUESTS +
                      serving_quality.TIMED_REQUESTS)
  args = parser.parse_args()
  print(json.dumps(measure(os.path.abspath(args.output_dir), args.members,
                           args.requests), indent=2))


if __name__ == '__main__':
  main()
