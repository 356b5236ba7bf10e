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


def test_a_packed_rating_comes_back_as_it_was():
  """Ratings cross the shuffles packed (ingest._PACKED_RATING).

  A whole-star rating comes back an int and a half-star one a float, so the
  examples' rating keeps its schema type, and the line's text comes back
  whole for the rejects report.
  """
  for rating in (
      rules.Rating(7, 3952, 4, 978300760, 12, '7::3952::4::978300760'),
      rules.Rating(7, 193609, 3.5, 1537799250, 2, '7,193609,3.5,1537799250'),
      rules.Rating(7, 5, 0.5, 0, 3, 'Amélie, 7,5,0.5,0')):
    unpacked = ingest._unpacked(7, ingest._packed(rating))
    assert unpacked == rating
    assert type(unpacked.rating) is type(rating.rating)
