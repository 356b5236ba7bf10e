"""`ytdnn`: bad input ends in one clear line, not a traceback."""

import os
import shutil
import subprocess
import sys

import pytest

from cli import main
from components.ingestion import ingestion_config
from contract import formats
from contract import paths
from contract import splits
from models import hyperparameters
from pipeline import configs
from conftest import make_tiny_sample

YTDNN = os.path.join(os.path.dirname(sys.executable), 'ytdnn')


def _ytdnn(*args: str, cwd: str) -> subprocess.CompletedProcess:
  return subprocess.run(
      [YTDNN, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def _tiny_sample(tmp_path, data_format: formats.DataFormat):
  data_dir = tmp_path / 'data'
  make_tiny_sample(str(data_dir), data_format.name)
  return data_dir


def _failed_before_anything_downstream(completed, tmp_path) -> str:
  """The one-line error of a run that stopped in the ingestion."""
  assert completed.returncode == 1
  assert 'Traceback' not in completed.stderr
  pipeline_root = paths.pipeline_root(str(tmp_path / 'out'))
  assert not os.path.exists(os.path.join(pipeline_root, paths.STATISTICS_GEN))
  assert not (tmp_path / 'out' / 'serving_model').exists()
  return completed.stderr.strip().splitlines()[-1]


def test_a_directory_without_a_release_fails_with_one_line(tmp_path):
  data_dir = tmp_path / 'data'
  shutil.copytree(paths.SAMPLE_DATA_DIR, data_dir)
  os.remove(data_dir / 'movies.dat')
  completed = _ytdnn('run', '--data-dir', str(data_dir),
                     '--output-dir', str(tmp_path / 'out'), cwd=str(tmp_path))
  assert _failed_before_anything_downstream(completed, tmp_path).startswith(
      f'ytdnn run: {data_dir}: holds no MovieLens release; each format '
      'needs its files')


# A malformed ratings file of each format: its first line broken.
MALFORMED_FIRST_LINE = {
    formats.ML_1M: ('1\t1\t5\t978300760\n',
                    "not separated by '::'"),
    formats.ML_10M: ('1,1,4.5,838985046\n', "not separated by '::'"),
    formats.CSV: ('user,movie,rating,timestamp\n',
                  "line 1 must be the header 'userId,movieId,rating,"
                  "timestamp' of the csv format"),
}


@pytest.mark.parametrize('data_format', list(MALFORMED_FIRST_LINE),
                         ids=lambda data_format: data_format.name)
def test_a_malformed_file_of_each_format_fails_naming_it(tmp_path,
                                                        data_format):
  data_dir = _tiny_sample(tmp_path, data_format)
  ratings = data_dir / data_format.ratings_file
  first_line, message = MALFORMED_FIRST_LINE[data_format]
  ratings.write_text(first_line * 3)
  completed = _ytdnn('run', '--data-dir', str(data_dir),
                     '--output-dir', str(tmp_path / 'out'), cwd=str(tmp_path))
  assert _failed_before_anything_downstream(completed, tmp_path) == (
      f'ytdnn run: {ratings}: {message}' + (
          f' (none in its first {len(first_line) * 3} bytes; '
          f'{data_format.name} files are)'
          if data_format.separator == '::' else
          f", not '{first_line.strip()}'"))


@pytest.mark.parametrize('data_format', list(formats.FORMATS.values()),
                         ids=lambda data_format: data_format.name)
def test_too_many_rejected_lines_fail_the_run_naming_the_first(
    tmp_path, data_format):
  data_dir = _tiny_sample(tmp_path, data_format)
  ratings = data_dir / data_format.ratings_file
  lines = ratings.read_text().count('\n')
  separator = data_format.separator
  with open(ratings, 'a') as file:
    file.write((separator.join(('1', '2', '9', '978300760')) + '\n') * 100)
  completed = _ytdnn('run', '--data-dir', str(data_dir),
                     '--output-dir', str(tmp_path / 'out'), cwd=str(tmp_path))
  error = _failed_before_anything_downstream(completed, tmp_path)
  assert (f'rating_range=100 (first: {data_format.ratings_file} line '
          f'{lines + 1})') in error


def test_a_count_flag_below_one_is_refused_before_anything_runs(tmp_path):
  completed = _ytdnn('run', '--ensemble-size', '0', cwd=str(tmp_path))
  assert completed.returncode == 2
  assert ('argument --ensemble-size: must be at least 1, got 0'
          in completed.stderr)
  assert 'Traceback' not in completed.stderr
  assert not os.listdir(tmp_path)


def test_a_batch_size_of_part_blocks_is_refused_before_anything_runs(
    tmp_path):
  completed = _ytdnn('run', '--batch-size', '100', cwd=str(tmp_path))
  assert completed.returncode == 2
  assert ('argument --batch-size: must be a multiple of 64' in
          completed.stderr)
  assert not os.listdir(tmp_path)


def test_an_autorec_weight_above_one_is_refused(tmp_path):
  completed = _ytdnn('run', '--autorec-weight', '1.5', cwd=str(tmp_path))
  assert completed.returncode == 2
  assert ('argument --autorec-weight: must be from 0 to 1, got 1.5' in
          completed.stderr)
  assert not os.listdir(tmp_path)


def test_run_flags_reach_the_config():
  config = main.pipeline_config(main.parser().parse_args(
      ['run', '--data-dir', 'd', '--output-dir', 'o', '--split-protocol',
       'random90', '--epochs', '2', '--ensemble-size', '1',
       '--autorec-weight', '0', '--beam-arg=--direct_num_workers=2']))
  assert config.data_dir == os.path.abspath('d')
  assert config.ingestion.split_protocol == splits.RANDOM90
  assert config.model.epochs == 2
  assert config.model.ensemble_size == 1
  assert config.model.autorec_weight == 0
  assert config.beam_args == ('--direct_num_workers=2',)
  assert config.serving_model_dir == os.path.join(os.path.abspath('o'),
                                                  'serving_model', 'ranking')


def test_the_quick_preset_reaches_both_models_and_flags_override_it():
  quick = configs.PRESETS[configs.QUICK]
  config = main.pipeline_config(main.parser().parse_args(
      ['run', '--preset', 'quick']))
  assert (config.model, config.retrieval) == (quick.model, quick.retrieval)
  assert config.model.ensemble_size == 1
  assert config.model.epochs < hyperparameters.ModelConfig.epochs
  config = main.pipeline_config(main.parser().parse_args(
      ['run', '--preset', 'quick', '--ensemble-size', '2', '--epochs', '1']))
  assert (config.model.ensemble_size, config.model.epochs) == (2, 1)
  assert config.retrieval == quick.retrieval


def test_defaults_come_from_configs():
  config = main.pipeline_config(main.parser().parse_args(['run']))
  assert config.data_dir == paths.SAMPLE_DATA_DIR
  assert config.ingestion == ingestion_config.IngestionConfig()
  assert config.model == hyperparameters.ModelConfig()
  assert config.retrieval == hyperparameters.RetrievalConfig()
  assert config.beam_args == configs.DEFAULT_BEAM_ARGS
