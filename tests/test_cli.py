"""`ytdnn`: bad input ends in one clear line, not a traceback."""

import os
import shutil
import subprocess
import sys

from cli import main
from components.ingestion import ingestion_config
from contract import paths
from contract import splits
from models import hyperparameters
from pipeline import configs

YTDNN = os.path.join(os.path.dirname(sys.executable), 'ytdnn')


def _ytdnn(*args: str, cwd: str) -> subprocess.CompletedProcess:
  return subprocess.run(
      [YTDNN, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_a_missing_file_fails_with_one_line_naming_it(tmp_path):
  data_dir = tmp_path / 'data'
  shutil.copytree(paths.SAMPLE_DATA_DIR, data_dir)
  os.remove(data_dir / 'users.dat')
  completed = _ytdnn('run', '--data-dir', str(data_dir),
                     '--output-dir', str(tmp_path / 'out'), cwd=str(tmp_path))
  assert completed.returncode == 1
  assert 'Traceback' not in completed.stderr
  assert completed.stderr.strip().splitlines()[-1] == (
      f'ytdnn run: {data_dir / "users.dat"}: missing file')
  assert not (tmp_path / 'out' / 'serving_model').exists()


def test_too_many_rejected_lines_fail_the_run_with_counts(tmp_path):
  data_dir = tmp_path / 'data'
  shutil.copytree(paths.SAMPLE_DATA_DIR, data_dir)
  with open(data_dir / 'ratings.dat', 'a') as ratings:
    ratings.write('1::2::9::978300760\n' * 100)
  completed = _ytdnn('run', '--data-dir', str(data_dir),
                     '--output-dir', str(tmp_path / 'out'), cwd=str(tmp_path))
  assert completed.returncode == 1
  assert 'Traceback' not in completed.stderr
  assert 'rating_range' in completed.stderr
  assert not (tmp_path / 'out' / 'serving_model').exists()


def test_a_count_flag_below_one_is_refused_before_anything_runs(tmp_path):
  completed = _ytdnn('run', '--ensemble-size', '0', cwd=str(tmp_path))
  assert completed.returncode == 2
  assert ('argument --ensemble-size: must be at least 1, got 0'
          in completed.stderr)
  assert 'Traceback' not in completed.stderr
  assert not os.listdir(tmp_path)


def test_run_flags_reach_the_config():
  config = main.pipeline_config(main.parser().parse_args(
      ['run', '--data-dir', 'd', '--output-dir', 'o', '--split-protocol',
       'random90', '--epochs', '2', '--ensemble-size', '1',
       '--beam-arg=--direct_num_workers=2']))
  assert config.data_dir == os.path.abspath('d')
  assert config.ingestion.split_protocol == splits.RANDOM90
  assert config.model.epochs == 2
  assert config.model.ensemble_size == 1
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
