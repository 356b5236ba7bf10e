"""Tests for components/ingestion/input_files.py: formats and file-level errors."""

import pytest

from components.ingestion import input_files
from components.ingestion import rules
from contract import formats

GOOD = {
    formats.ML_1M: {
        'ratings.dat': b'1::1::5::978300760\n',
        'users.dat': b'1::F::1::10::48067\n',
        'movies.dat': b'1::Toy Story (1995)::Comedy\n',
    },
    formats.ML_10M: {
        'ratings.dat': b'1::1::4.5::838985046\n',
        'movies.dat': b'1::Toy Story (1995)::Children|Comedy\n',
    },
    formats.CSV: {
        'ratings.csv': b'userId,movieId,rating,timestamp\n1,1,4.0,1147880044\n',
        'movies.csv': (b'movieId,title,genres\n'
                       b'11,"American President, The (1995)",Comedy\n'),
    },
}
ML_1M = GOOD[formats.ML_1M]


def _write(data_dir, files: dict[str, bytes]) -> None:
  for name, content in files.items():
    (data_dir / name).write_bytes(content)


@pytest.mark.parametrize('data_format', list(GOOD), ids=lambda f: f.name)
def test_each_format_is_recognized_from_its_files(tmp_path, data_format):
  _write(tmp_path, GOOD[data_format])
  checked = input_files.check_input_files(str(tmp_path))
  assert checked.data_format == data_format
  assert checked.paths == {name: str(tmp_path / name)
                           for name in data_format.files}
  assert checked.users == (str(tmp_path / 'users.dat')
                           if data_format.has_demographics else None)


@pytest.mark.parametrize('name', ['ratings.dat', 'movies.dat'])
def test_a_directory_without_a_formats_files_names_what_each_needs(
    tmp_path, name):
  _write(tmp_path, {other: ML_1M[other] for other in ML_1M if other != name})
  with pytest.raises(rules.IngestionError,
                     match=f'{tmp_path}: holds no MovieLens release.*csv: '
                     'ratings.csv, movies.csv'):
    input_files.check_input_files(str(tmp_path))


def test_ml_1m_files_without_users_are_ml_10m(tmp_path):
  _write(tmp_path, {name: ML_1M[name] for name in ('ratings.dat',
                                                   'movies.dat')})
  assert input_files.recognize_format(str(tmp_path)) == formats.ML_10M


def test_the_pipelines_format_must_have_its_files(tmp_path):
  _write(tmp_path, GOOD[formats.ML_10M])
  with pytest.raises(rules.IngestionError,
                     match=f'{tmp_path / "users.dat"}: missing file of the '
                     'ml-1m format'):
    input_files.check_input_files(str(tmp_path), formats.ML_1M)


def test_empty_file(tmp_path):
  _write(tmp_path, {**ML_1M, 'users.dat': b''})
  with pytest.raises(rules.IngestionError,
                     match=f'{tmp_path / "users.dat"}: empty file'):
    input_files.check_input_files(str(tmp_path))


def test_tab_separated_file(tmp_path):
  _write(tmp_path, {**ML_1M, 'ratings.dat': b'1\t1\t5\t978300760\n' * 3})
  with pytest.raises(rules.IngestionError,
                     match=f"{tmp_path / 'ratings.dat'}: not separated by"):
    input_files.check_input_files(str(tmp_path))


def test_a_csv_file_without_its_header(tmp_path):
  _write(tmp_path, {**GOOD[formats.CSV],
                    'ratings.csv': b'1,1,4.0,1147880044\n'})
  with pytest.raises(rules.IngestionError,
                     match=f"{tmp_path / 'ratings.csv'}: line 1 must be the "
                     "header 'userId,movieId,rating,timestamp'"):
    input_files.check_input_files(str(tmp_path))


def test_the_fingerprint_changes_with_a_files_content_only(tmp_path):
  _write(tmp_path, ML_1M)
  first = input_files.fingerprint(str(tmp_path))
  assert input_files.fingerprint(str(tmp_path)) == first
  with open(tmp_path / 'ratings.dat', 'ab') as ratings:
    ratings.write(b'1::2::4::978300761\n')
  assert input_files.fingerprint(str(tmp_path)) != first


def test_a_missing_file_leaves_the_error_to_the_ingestion(tmp_path):
  _write(tmp_path, {'users.dat': ML_1M['users.dat']})
  assert input_files.fingerprint(str(tmp_path)).startswith('users.dat:')
