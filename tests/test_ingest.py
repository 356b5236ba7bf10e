"""The ingestion's Beam graph (components/ingestion/ingest.py) on tiny files.

The graph's output is tested through the executor in
test_ingestion_executor.py; this file pins how the graph handles its records.
"""

import os

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
import tensorflow as tf
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


def test_the_graph_writes_each_kept_rating_once_and_rejects_the_repeat(
    tmp_path):
  """Packed ratings through both shuffles come back as the kept ratings."""
  data_dir = tmp_path / 'data'
  data_dir.mkdir()
  _write(str(data_dir))
  examples_uri = str(tmp_path / 'examples')
  with beam.Pipeline(options=PipelineOptions(BEAM_ARGS)) as pipeline:
    ingest.ingest(
        pipeline, input_files.check_input_files(str(data_dir)),
        splits.TEMPORAL, history_length=3, raters_length=1,
        feature_types=outputs.feature_types(
            tfdv.load_schema_text(paths.SCHEMA_PATH)),
        examples_uri=examples_uri, report_uri=str(tmp_path / 'report'))
  written = [
      (row['user_id'], row['movie_id'], row['rating'], row['timestamp'])
      for split in outputs.SPLITS
      for shard in range(outputs.NUM_SHARDS)
      for row in outputs.deserialize_examples(tf.data.TFRecordDataset(
          outputs.shard_path(examples_uri, split, shard),
          compression_type='GZIP').as_numpy_iterator())]
  assert sorted(written) == KEPT
  rejects = ''.join(
      path.read_text() for path in
      (tmp_path / 'report' / outputs.REJECTS_DIR).iterdir())
  assert (f'{formats.ML_1M.ratings_file}\t{len(KEPT) + 1}\t'
          f'{rules.DUPLICATE_PAIR}\t' + '::'.join(map(str, REPEATED))
          in rejects)
