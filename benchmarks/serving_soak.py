"""Soak test of a pushed ranking model: many in-process requests, RSS watched.

A leak in the serving path (a tf.function retraced per request shape, a
lookup table rebuilt per call, tensors kept alive) shows as resident memory
that keeps growing long after warm-up, so this scores many requests of varying
sizes through `serving_default`, odd ones included, and fails when RSS grows:

  .venv/bin/python -m benchmarks.serving_soak --output-dir OUT

where OUT is the `--output-dir` of a finished `ytdnn run`. Exits 1 when RSS
grew by more than --max-growth-mb between the end of warm-up and the end.
"""

import argparse
import os
import sys
import time
from typing import Callable, NamedTuple


import numpy as np
import tensorflow as tf

from components.ingestion import outputs
from contract import features
from contract import paths
from contract import splits
from serving import scoring

# Request sizes as a ranking server sees them: mostly a page of candidates,
# sometimes one, sometimes a long list.
REQUEST_SIZES = (1, 2, 5, 10, 20, 50, 100, 200)
# Every ODD_EVERY-th request carries one odd example (see odd_rows).
ODD_EVERY = 7
# Distinct requests built up front and cycled through, so the soak measures
# the serving path and not the growth of its own request list.
DISTINCT_REQUESTS = 512


class SoakResult(NamedTuple):
  """RSS in MB at start, after warm-up and at the end; examples scored."""
  start_mb: float
  warm_mb: float
  end_mb: float
  examples: int
  seconds: float

  @property
  def growth_mb(self) -> float:
    return self.end_mb - self.warm_mb


def rss_mb() -> float:
  """Current, not peak, resident set size: a peak hides when memory grew."""
  with open('/proc/self/statm') as statm:
    resident_pages = int(statm.read().split()[1])
  return resident_pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def _with_history(row: dict[str, outputs.Value],
                  movie_ids: list[int]) -> dict[str, outputs.Value]:
  """The row with another history, every movie in it rated 4."""
  return dict(row, **{features.HISTORY: movie_ids,
                      features.HISTORY_RATINGS: [4] * len(movie_ids)})


def odd_rows(row: dict[str, outputs.Value]) -> list[dict[str, outputs.Value]]:
  """Rows a client may well send: unknown ids, empty or outlandish history."""
  return [
      dict(row, **{features.USER_ID: 999999, features.MOVIE_ID: 999999}),
      _with_history(row, []),
      _with_history(row, [999998, 999999]),
      _with_history(row, [row[features.MOVIE_ID]] * 1000),
  ]


def build_requests(rows: list[dict[str, outputs.Value]], count: int,
                   rng: np.random.Generator
                   ) -> list[list[dict[str, outputs.Value]]]:
  """`count` requests of sizes drawn from REQUEST_SIZES, from random rows."""
  requests = []
  for index in range(count):
    size = int(rng.choice(REQUEST_SIZES))
    request = [rows[i] for i in rng.integers(0, len(rows), size)]
    if index % ODD_EVERY == 0:
      odd = odd_rows(request[0])
      request[0] = odd[(index // ODD_EVERY) % len(odd)]
    requests.append(request)
  return requests


def soak(serve: Callable[..., dict[str, tf.Tensor]],
         requests: list[list[bytes]], total: int, warmup: int,
         report_every: int) -> SoakResult:
  """Sends `total` requests, cycling through `requests`; prints RSS."""
  start_mb = rss_mb()
  print(f'start: RSS {start_mb:.1f} MB', flush=True)
  warm_mb = start_mb
  examples = 0
  started = time.monotonic()
  for index in range(total):
    request = requests[index % len(requests)]
    outputs = serve(examples=tf.constant(request))
    if not np.isfinite(outputs[features.RATING_HEAD].numpy()).all():
      raise ValueError(f'request {index}: non-finite rating')
    examples += len(request)
    done = index + 1
    if done == warmup:
      warm_mb = rss_mb()
      print(f'after warm-up ({done} requests): RSS {warm_mb:.1f} MB',
            flush=True)
    if done % report_every == 0 or done == total:
      print(f'{done} requests, {examples} examples, '
            f'{time.monotonic() - started:.0f} s: RSS {rss_mb():.1f} MB',
            flush=True)
  return SoakResult(start_mb, warm_mb, rss_mb(), examples,
                    time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
  parser.add_argument('--output-dir', required=True,
                      help='the --output-dir of a finished ytdnn run')
  parser.add_argument('--requests', type=int, default=100_000)
  parser.add_argument('--warmup', type=int, default=5_000,
                      help='requests before the RSS baseline is taken')
  parser.add_argument('--report-every', type=int, default=10_000)
  parser.add_argument('--max-growth-mb', type=float, default=64.0,
                      help='allowed RSS growth after warm-up')
  parser.add_argument('--seed', type=int, default=0)
  args = parser.parse_args(argv)
  if not 0 < args.warmup < args.requests:
    parser.error('--warmup must be between 0 and --requests')

  model_dir = scoring.latest_pushed_model(
      paths.serving_model_dir(args.output_dir))
  rows = scoring.read_rows(
      paths.latest_ingested_split(args.output_dir, splits.EVAL_SPLIT))
  schema = scoring.load_schema(scoring.ingested_format(paths.pipeline_root(args.output_dir)))
  serve = scoring.load_serving_fn(model_dir)
  requests = [scoring.serialize_rows(request, schema)
              for request in build_requests(
                  rows, DISTINCT_REQUESTS, np.random.default_rng(args.seed))]
  print(f'Soaking {model_dir} with {args.requests} requests '
        f'(sizes {REQUEST_SIZES}, one odd example every {ODD_EVERY})',
        flush=True)
  result = soak(serve, requests, args.requests, args.warmup,
                args.report_every)
  verdict = (f'end: RSS {result.end_mb:.1f} MB; {result.examples} examples in '
             f'{result.seconds:.0f} s; growth after warm-up '
             f'{result.growth_mb:+.1f} MB (limit {args.max_growth_mb:.0f} MB)')
  if result.growth_mb > args.max_growth_mb:
    print(f'{verdict}: FAILED', file=sys.stderr)
    return 1
  print(f'{verdict}: ok')
  return 0


if __name__ == '__main__':
  sys.exit(main())
