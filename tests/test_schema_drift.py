"""End to end: a genre outside ml-1m's 18 is an anomaly that stops `ytdnn run`
before Transform, with a message naming the feature and the value."""

import os

from conftest import make_tiny_sample
from conftest import TINY_RUN_FLAGS
from conftest import ytdnn_run
from contract import paths

NEW_GENRE = 'Vlog'


def _give_a_movie_a_new_second_genre(data_dir: str) -> str:
  """Makes the first movie 'Comedy|Vlog'; returns its movies.dat line."""
  movies = os.path.join(data_dir, 'movies.dat')
  with open(movies, encoding='latin-1') as f:
    lines = f.read().splitlines()
  movie_id, title, _ = lines[0].split('::')
  lines[0] = f'{movie_id}::{title}::Comedy|{NEW_GENRE}'
  with open(movies, 'w', encoding='latin-1') as f:
    f.write('\n'.join(lines) + '\n')
  return lines[0]


def test_a_new_genre_stops_the_run_before_transform(tmp_path):
  data_dir = str(tmp_path / 'data')
  os.makedirs(data_dir)
  make_tiny_sample(data_dir)
  _give_a_movie_a_new_second_genre(data_dir)
  output_dir = str(tmp_path / 'run')
  os.makedirs(output_dir)

  completed = ytdnn_run(data_dir, output_dir, *TINY_RUN_FLAGS)

  assert completed.returncode == 1, completed.stderr[-5000:]
  start = completed.stderr.find(
      'ytdnn run: ExampleValidator found anomalies, so the pipeline stops '
      'before training:')
  assert start >= 0, completed.stderr[-5000:]
  message = completed.stderr[start:].splitlines()
  genre_lines = [line for line in message if "feature 'genre_2'" in line]
  assert genre_lines, completed.stderr[start:]
  assert all(NEW_GENRE in line for line in genre_lines)
  assert 'Unexpected string values' in genre_lines[0]
  assert 'ExampleAnomaliesGate FAILED' in completed.stdout
  assert 'Transform ...' not in completed.stdout
  assert not os.path.exists(paths.serving_model_dir(output_dir))
