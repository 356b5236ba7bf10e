"""Tests for data/download.py against zips served from this machine.

A download must either leave the exact published ml-1m files in place or fail
with a one-line DownloadError and leave the destination as it was.
"""

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


def write_zip(path: pathlib.Path, members: Mapping[str, bytes]) -> None:
  """A zip laid out like GroupLens's: every file under ml-1m/."""
  with zipfile.ZipFile(path, 'w') as archive:
    for name, content in members.items():
      archive.writestr(f'ml-1m/{name}', content)


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
    download.download_ml1m(str(destination), f'{url}/{ZIP_NAME}')
  assert str(error.value) == (
      f"ratings.dat: md5 {FAKE_MD5['ratings.dat']} does not match the "
      f"published ml-1m checksum {download.ML1M_MD5['ratings.dat']}")
  assert_untouched(destination, ['notes.txt'])


def test_zip_without_ratings_is_refused(www, destination):
  root, url = www
  members = {name: FAKE_FILES[name] for name in ('movies.dat', 'users.dat')}
  write_zip(root / ZIP_NAME, members)
  with pytest.raises(download.DownloadError,
                     match='^zip holds no ml-1m/ratings.dat$'):
    download.download_ml1m(str(destination), f'{url}/{ZIP_NAME}', FAKE_MD5)
  assert os.listdir(destination.parent) == []


def test_unreachable_url_gives_a_one_line_error(destination):
  url = f'http://127.0.0.1:{closed_port()}/{ZIP_NAME}'
  with pytest.raises(download.DownloadError) as error:
    download.download_ml1m(str(destination), url, FAKE_MD5)
  message = str(error.value)
  assert message.startswith(f'could not fetch {url}: ')
  assert '\n' not in message
  assert 'Traceback' not in message
  assert os.listdir(destination.parent) == []


def test_missing_file_gives_http_status(www, destination):
  _, url = www
  with pytest.raises(download.DownloadError, match='HTTP 404'):
    download.download_ml1m(str(destination), f'{url}/{ZIP_NAME}', FAKE_MD5)
  assert os.listdir(destination.parent) == []


def test_non_zip_is_refused(www, destination):
  root, url = www
  (root / ZIP_NAME).write_text('<html>not found</html>')
  with pytest.raises(download.DownloadError, match='is not a valid zip'):
    download.download_ml1m(str(destination), f'{url}/{ZIP_NAME}', FAKE_MD5)
  assert os.listdir(destination.parent) == []


def test_file_url_works(tmp_path, destination):
  zip_path = tmp_path / ZIP_NAME
  write_zip(zip_path, FAKE_FILES)
  paths = download.download_ml1m(str(destination), zip_path.as_uri(), FAKE_MD5)
  assert paths == [str(destination / name) for name in FAKE_FILES]
  for name, content in FAKE_FILES.items():
    assert (destination / name).read_bytes() == content
  assert_untouched(destination, sorted(FAKE_FILES))


def test_verified_destination_is_not_fetched_again(tmp_path, destination,
                                                   capsys):
  zip_path = tmp_path / ZIP_NAME
  write_zip(zip_path, FAKE_FILES)
  first = download.download_ml1m(str(destination), zip_path.as_uri(), FAKE_MD5)
  unreachable = f'http://127.0.0.1:{closed_port()}/{ZIP_NAME}'
  second = download.download_ml1m(str(destination), unreachable, FAKE_MD5)
  assert second == first
  assert 'nothing to download' in capsys.readouterr().out


@pytest.mark.skipif(not os.path.isdir(REAL_DATA_DIR),
                    reason=f'real ml-1m files not found in {REAL_DATA_DIR}')
def test_real_ml1m_arrives_verified(www, destination):
  root, url = www
  with zipfile.ZipFile(root / ZIP_NAME, 'w') as archive:
    for name in ('ratings.dat', 'movies.dat', 'users.dat', 'README'):
      archive.write(os.path.join(REAL_DATA_DIR, name), f'ml-1m/{name}')
  paths = download.download_ml1m(str(destination), f'{url}/{ZIP_NAME}')
  assert paths == [str(destination / name) for name in download.ML1M_MD5]
  for name, md5 in download.ML1M_MD5.items():
    assert download.file_md5(str(destination / name)) == md5
  assert_untouched(destination, sorted(download.ML1M_MD5))
