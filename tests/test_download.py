"""Tests for data/download.py against zips served from this machine.

A download must either leave the exact published files of a release in place
or fail with a one-line DownloadError and leave the destination as it was.
"""

import dataclasses
import functools
import hashlib
import http.server
import os
import pathlib
import socket
import threading
import zipfile
from typing import Iterator, Mapping

import pytest

from data import download

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_DATA_DIR = os.path.join(REPO_ROOT, os.pardir, 'shared', 'data', 'ml-1m')
ZIP_NAME = 'ml-1m.zip'
# How often the test server polls for shutdown; 0.5 s would slow every teardown.
SHUTDOWN_POLL_SECONDS = 0.01

FAKE_FILES = {
    'ratings.dat': b'1::1::5::978300760\n',
    'movies.dat': b"1::Toy Story (1995)::Animation|Children's|Comedy\n",
    'users.dat': b'1::F::1::10::48067\n',
}
FAKE_MD5 = {name: hashlib.md5(content).hexdigest()
            for name, content in FAKE_FILES.items()}
ML1M = download.RELEASES['ml-1m']
# ml-1m as published but for the checksums, which vouch for FAKE_FILES.
FAKE_ML1M = dataclasses.replace(ML1M, checksums=FAKE_MD5)
CSV_FILES = {
    'ratings.csv': b'userId,movieId,rating,timestamp\n1,1,4.5,1147880044\n',
    'movies.csv': b'movieId,title,genres\n'
                  b'1,Toy Story (1995),Adventure|Animation|Children\n',
    'tags.csv': b'userId,movieId,tag,timestamp\n',
}
ML10M_FILES = {
    'ratings.dat': b'1::122::5::838985046\n',
    'movies.dat': b'122::Boomerang (1992)::Comedy|Romance\n',
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
  """Serves files without logging every request into the test output."""

  def log_message(self, format, *args):  # pylint: disable=redefined-builtin
    del format, args


@pytest.fixture
def www(tmp_path: pathlib.Path) -> Iterator[tuple[pathlib.Path, str]]:
  """A directory served over HTTP on 127.0.0.1, and its base URL."""
  root = tmp_path / 'www'
  root.mkdir()
  handler = functools.partial(QuietHandler, directory=str(root))
  server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
  thread = threading.Thread(
      target=server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), daemon=True)
  thread.start()
  yield root, f'http://127.0.0.1:{server.server_address[1]}'
  server.shutdown()
  server.server_close()
  thread.join()


@pytest.fixture
def destination(tmp_path: pathlib.Path) -> pathlib.Path:
  """Where ml-1m goes, in a parent that holds nothing else to trip on."""
  return tmp_path / 'data' / 'ml-1m'


def write_zip(path: pathlib.Path, members: Mapping[str, bytes],
              folder: str = 'ml-1m') -> str:
  """A zip laid out like GroupLens's, every file under folder/; its md5."""
  with zipfile.ZipFile(path, 'w') as archive:
    for name, content in members.items():
      archive.writestr(f'{folder}/{name}', content)
  return download.file_md5(str(path))


def closed_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def assert_untouched(destination: pathlib.Path, before: list[str]) -> None:
  """The destination kept its old files and the parent holds no staging."""
  assert sorted(os.listdir(destination)) == before
  assert os.listdir(destination.parent) == [destination.name]


def test_fake_contents_are_refused_and_nothing_is_kept(www, destination):
  root, url = www
  write_zip(root / ZIP_NAME, FAKE_FILES)
  destination.mkdir(parents=True)
  (destination / 'notes.txt').write_text('kept')
  with pytest.raises(download.DownloadError) as error:
    download.download(ML1M, str(destination), f'{url}/{ZIP_NAME}')
  assert str(error.value) == (
      f"ratings.dat: md5 {FAKE_MD5['ratings.dat']} does not match the "
      f"published ml-1m checksum {ML1M.checksums['ratings.dat']}")
  assert_untouched(destination, ['notes.txt'])


def test_zip_without_ratings_is_refused(www, destination):
  root, url = www
  members = {name: FAKE_FILES[name] for name in ('movies.dat', 'users.dat')}
  write_zip(root / ZIP_NAME, members)
  with pytest.raises(download.DownloadError,
                     match='^zip holds no ml-1m/ratings.dat$'):
    download.download(FAKE_ML1M, str(destination), f'{url}/{ZIP_NAME}')
  assert os.listdir(destination.parent) == []


def test_unreachable_url_gives_a_one_line_error(destination):
  url = f'http://127.0.0.1:{closed_port()}/{ZIP_NAME}'
  with pytest.raises(download.DownloadError) as error:
    download.download(FAKE_ML1M, str(destination), url)
  message = str(error.value)
  assert message.startswith(f'could not fetch {url}: ')
  assert '\n' not in message
  assert 'Traceback' not in message
  assert os.listdir(destination.parent) == []


def test_missing_file_gives_http_status(www, destination):
  _, url = www
  with pytest.raises(download.DownloadError, match='HTTP 404'):
    download.download(FAKE_ML1M, str(destination), f'{url}/{ZIP_NAME}')
  assert os.listdir(destination.parent) == []


def test_non_zip_is_refused(www, destination):
  root, url = www
  (root / ZIP_NAME).write_text('<html>not found</html>')
  with pytest.raises(download.DownloadError, match='is not a valid zip'):
    download.download(FAKE_ML1M, str(destination), f'{url}/{ZIP_NAME}')
  assert os.listdir(destination.parent) == []


def test_file_url_works(tmp_path, destination):
  zip_path = tmp_path / ZIP_NAME
  write_zip(zip_path, FAKE_FILES)
  paths = download.download(FAKE_ML1M, str(destination), zip_path.as_uri())
  assert paths == [str(destination / name) for name in FAKE_FILES]
  for name, content in FAKE_FILES.items():
    assert (destination / name).read_bytes() == content
  assert_untouched(destination, sorted(FAKE_FILES))


def test_verified_destination_is_not_fetched_again(tmp_path, destination,
                                                   capsys):
  zip_path = tmp_path / ZIP_NAME
  write_zip(zip_path, FAKE_FILES)
  first = download.download(FAKE_ML1M, str(destination), zip_path.as_uri())
  unreachable = f'http://127.0.0.1:{closed_port()}/{ZIP_NAME}'
  second = download.download(FAKE_ML1M, str(destination), unreachable)
  assert second == first
  assert 'nothing to download' in capsys.readouterr().out


def test_csv_release_is_extracted_and_verified(www, tmp_path):
  root, url = www
  destination = tmp_path / 'data' / 'ml-25m'
  zip_md5 = write_zip(root / 'ml-25m.zip', CSV_FILES, folder='ml-25m')
  release = dataclasses.replace(download.RELEASES['ml-25m'],
                                checksums={'ml-25m.zip': zip_md5})
  paths = download.download(release, str(destination), f'{url}/ml-25m.zip')
  assert paths == [str(destination / 'ratings.csv'),
                   str(destination / 'movies.csv')]
  for name in ('ratings.csv', 'movies.csv'):
    assert (destination / name).read_bytes() == CSV_FILES[name]
  assert_untouched(destination, ['movies.csv', 'ratings.csv'])


def test_zip_md5_mismatch_keeps_nothing(www, tmp_path):
  root, url = www
  destination = tmp_path / 'data' / 'ml-25m'
  zip_md5 = write_zip(root / 'ml-25m.zip', CSV_FILES, folder='ml-25m')
  destination.mkdir(parents=True)
  (destination / 'notes.txt').write_text('kept')
  release = download.RELEASES['ml-25m']
  with pytest.raises(download.DownloadError) as error:
    download.download(release, str(destination), f'{url}/ml-25m.zip')
  assert str(error.value) == (
      f'ml-25m.zip: md5 {zip_md5} does not match the published ml-25m '
      f"checksum {release.checksums['ml-25m.zip']}")
  assert_untouched(destination, ['notes.txt'])


def test_zip_is_checked_against_the_published_md5_file(www, tmp_path):
  root, url = www
  destination = tmp_path / 'data' / 'ml-32m'
  zip_md5 = write_zip(root / 'ml-32m.zip', CSV_FILES, folder='ml-32m')
  # GroupLens's md5 files are in BSD md5's layout.
  (root / 'ml-32m.zip.md5').write_text(f'MD5 (ml-32m.zip) = {zip_md5}\n')
  release = download.RELEASES['ml-32m']
  assert release.checksums is None
  download.download(release, str(destination), f'{url}/ml-32m.zip')
  assert_untouched(destination, ['movies.csv', 'ratings.csv'])
  (root / 'ml-32m.zip.md5').write_text(f'{"0" * 32}  ml-32m.zip\n')
  with pytest.raises(download.DownloadError,
                     match=f'^ml-32m.zip: md5 {zip_md5} does not match the '
                     f'published ml-32m checksum {"0" * 32}$'):
    download.download(release, str(tmp_path / 'again'), f'{url}/ml-32m.zip')
  assert not (tmp_path / 'again').exists()


def test_missing_md5_file_keeps_nothing(www, tmp_path):
  root, url = www
  destination = tmp_path / 'data' / 'ml-32m'
  write_zip(root / 'ml-32m.zip', CSV_FILES, folder='ml-32m')
  with pytest.raises(download.DownloadError,
                     match=f'^could not fetch {url}/ml-32m.zip.md5: HTTP 404'):
    download.download(download.RELEASES['ml-32m'], str(destination),
                      f'{url}/ml-32m.zip')
  assert os.listdir(destination.parent) == []


def test_unknown_dataset_names_the_choices():
  with pytest.raises(download.DownloadError) as error:
    download.release_named('ml-100k')
  assert str(error.value) == (
      "unknown dataset 'ml-100k'; one of ml-1m, ml-10m, ml-20m, ml-25m, "
      'ml-32m')


def test_ml10m_files_come_from_its_own_folder(www, tmp_path):
  root, url = www
  release = download.RELEASES['ml-10m']
  assert release.zip_folder == 'ml-10M100K'
  zip_md5 = write_zip(root / 'ml-10m.zip', ML10M_FILES, folder='ml-10M100K')
  release = dataclasses.replace(release, checksums={'ml-10m.zip': zip_md5})
  destination = tmp_path / 'data' / 'ml-10m'
  download.download(release, str(destination), f'{url}/ml-10m.zip')
  for name, content in ML10M_FILES.items():
    assert (destination / name).read_bytes() == content
  assert_untouched(destination, sorted(ML10M_FILES))
  zip_md5 = write_zip(root / 'ml-10m.zip', ML10M_FILES, folder='ml-10m')
  release = dataclasses.replace(release, checksums={'ml-10m.zip': zip_md5})
  with pytest.raises(download.DownloadError,
                     match='^zip holds no ml-10M100K/ratings.dat$'):
    download.download(release, str(tmp_path / 'again'), f'{url}/ml-10m.zip')


@pytest.mark.skipif(not os.path.isdir(REAL_DATA_DIR),
                    reason=f'real ml-1m files not found in {REAL_DATA_DIR}')
def test_real_ml1m_arrives_verified(www, destination):
  root, url = www
  with zipfile.ZipFile(root / ZIP_NAME, 'w') as archive:
    for name in ('ratings.dat', 'movies.dat', 'users.dat', 'README'):
      archive.write(os.path.join(REAL_DATA_DIR, name), f'ml-1m/{name}')
  paths = download.download(ML1M, str(destination), f'{url}/{ZIP_NAME}')
  assert paths == [str(destination / name) for name in ML1M.checksums]
  for name, md5 in ML1M.checksums.items():
    assert download.file_md5(str(destination / name)) == md5
  assert_untouched(destination, sorted(ML1M.checksums))
