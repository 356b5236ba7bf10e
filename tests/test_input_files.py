"""Tests for components/ingestion/input_files.py: file-level errors."""

import pytest

from components.ingestion import input_files
from components.ingestion import rules

GOOD = {
    'ratings.dat': b'1::1::5::978300760\n',
    'users.dat': b'1::F::1::10::48067\n',
    'movies.dat': b'1::Toy Story (1995)::Comedy\n',
}


def _write(data_dir, files: dict[str, bytes]) -> None:
  for name, content in files.items():
    (data_dir / name).write_bytes(content)


def test_good_files_give_their_paths(tmp_path):
  _write(tmp_path, GOOD)
  assert input_files.check_input_files(str(tmp_path)) == {
      name: str(tmp_path / name) for name in GOOD}


@pytest.mark.parametrize('name', sorted(GOOD))
def test_missing_file(tmp_path, name):
  _write(tmp_path, {other: GOOD[other] for other in GOOD if other != name})
  with pytest.raises(rules.IngestionError,
                     match=f'{tmp_path / name}: missing file'):
    input_files.check_input_files(str(tmp_path))


def test_empty_file(tmp_path):
  _write(tmp_path, {**GOOD, 'users.dat': b''})
  with pytest.raises(rules.IngestionError,
                     match=f'{tmp_path / "users.dat"}: empty file'):
    input_files.check_input_files(str(tmp_path))


def test_tab_separated_file(tmp_path):
  _write(tmp_path, {**GOOD, 'ratings.dat': b'1\t1\t5\t978300760\n' * 3})
  with pytest.raises(rules.IngestionError,
                     match=f"{tmp_path / 'ratings.dat'}: not separated by"):
    input_files.check_input_files(str(tmp_path))


def test_the_fingerprint_changes_with_a_files_content_only(tmp_path):
  _write(tmp_path, GOOD)
  first = input_files.fingerprint(str(tmp_path))
  assert input_files.fingerprint(str(tmp_path)) == first
  with open(tmp_path / 'ratings.dat', 'ab') as ratings:
    ratings.write(b'1::2::4::978300761\n')
  assert input_files.fingerprint(str(tmp_path)) != first


def test_a_missing_file_leaves_the_error_to_the_ingestion(tmp_path):
  _write(tmp_path, {'users.dat': GOOD['users.dat']})
  assert input_files.fingerprint(str(tmp_path)).startswith('users.dat:')
