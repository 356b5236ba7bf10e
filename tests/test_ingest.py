"""The ingestion's Beam graph (components/ingestion/ingest.py) on tiny files.

The graph's output is tested through the executor in
test_ingestion_executor.py; this file pins how the graph handles its records.
"""

import os

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
import tensorflow_data_validation as tfdv

from components.ingestion import ingest
from components.ingestion import input_files
from components.ingestion import outputs
from components.ingestion import rules
from contract import formats
from contract import paths
from contract import splits

BEAM_ARGS = ['--direct_running_mode=in_memory', '--direct_num_workers=1']
USERS = ['1::F::1::10::48067', '2::M::56::16::70072']
MOVIES = [f'{movie_id}::Movie {movie_id} (1990)::Drama'
          for movie_id in range(1, 5)]
# (user, movie, rating, timestamp) of the ratings the graph keeps; the data
# repeats one pair on a later line, which it rejects.
KEPT = [(1, 1, 4, 100), (1, 2, 3, 200), (1, 3, 5, 300), (2, 1, 2, 150),
        (2, 4, 4, 250)]
REPEATED = (1, 2, 1, 400)


def _write(data_dir: str) -> None:
  files = {
      formats.ML_1M.users_file: USERS, formats.ML_1M.movies_file: MOVIES,
      formats.ML_1M.ratings_file: ['::'.join(map(str, rating))
                           for rating in [*KEPT, REPEATED]]}
  for name, lines in files.items():
    with open(os.path.join(data_dir, name), 'w', encoding='utf-8') as file:
      file.write(''.join(f'{line}\n' for line in lines))


def test_each_kept_rating_is_made_a_rating_record_once(tmp_path, monkeypatch):
  """Ratings cross the shuffles as plain tuples (ingest._by_user).

  Only the shard writer, which reads every field, makes them Ratings again;
  deduplication and the movies' raters read the plain tuples.
  """
  data_dir = tmp_path / 'data'
  data_dir.mkdir()
  _write(str(data_dir))
  made = []
  make = rules.Rating._make

  def counted_make(fields: tuple) -> rules.Rating:
    made.append(tuple(fields)[:4])
    return make(fields)

  monkeypatch.setattr(rules.Rating, '_make', counted_make)
  with beam.Pipeline(options=PipelineOptions(BEAM_ARGS)) as pipeline:
    ingest.ingest(
        pipeline, input_files.check_input_files(str(data_dir)),
        splits.TEMPORAL, history_length=3, raters_length=1,
        feature_types=outputs.feature_types(
            tfdv.load_schema_text(paths.SCHEMA_PATH)),
        examples_uri=str(tmp_path / 'examples'),
        report_uri=str(tmp_path / 'report'))
  assert sorted(made) == KEPT
