"""Fetches the real MovieLens 1M files behind `ytdnn download`.

Results are only comparable with published ml-1m numbers on the exact GroupLens
release, so every file is checked against its published md5 before it is moved
into place. Everything is fetched and checked in a temporary directory next to
the destination, so a failed or interrupted download never leaves a partial or
wrong file where the pipeline would read it.
"""

import hashlib
import os
import shutil
import tempfile
import types
import urllib.error
import urllib.request
import zipfile
import zlib
from typing import Mapping

from contract import errors

ML1M_URL = 'https://files.grouplens.org/datasets/movielens/ml-1m.zip'
ML1M_MD5 = types.MappingProxyType({
    'ratings.dat': 'a89aa3591bc97d6d4e0c89459ff39362',
    'movies.dat': 'ef9fd9ff8d1b33faf73e2122c371e910',
    'users.dat': '681c0711d0d4548cd3d4718a49c2dcd8',
})
# The folder inside the GroupLens zip that holds the .dat files.
ZIP_FOLDER = 'ml-1m'
TEMP_PREFIX = '.ml-1m-download-'
TIMEOUT_SECONDS = 60
CHUNK_BYTES = 1 << 20


class DownloadError(errors.YtdnnError):
  """The download did not yield the published ml-1m files; nothing was kept."""


def file_md5(path: str) -> str:
  """Hashes in chunks, so the 24 MB ratings.dat never sits in memory."""
  md5 = hashlib.md5()
  with open(path, 'rb') as f:
    for chunk in iter(lambda: f.read(CHUNK_BYTES), b''):
      md5.update(chunk)
  return md5.hexdigest()


def holds_verified_files(data_dir: str,
                         expected_md5: Mapping[str, str]) -> bool:
  """Whether a download would change nothing, so it can be skipped."""
  return all(
      os.path.isfile(os.path.join(data_dir, name))
      and file_md5(os.path.join(data_dir, name)) == md5
      for name, md5 in expected_md5.items())


def fetch(url: str, path: str) -> None:
  """Streams the URL to a file, turning every network failure into one line."""
  try:
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response, \
        open(path, 'wb') as f:
      shutil.copyfileobj(response, f, CHUNK_BYTES)
  except urllib.error.HTTPError as e:
    raise DownloadError(
        f'could not fetch {url}: HTTP {e.code} {e.reason}') from e
  except urllib.error.URLError as e:
    raise DownloadError(f'could not fetch {url}: {e.reason}') from e
  except (OSError, ValueError) as e:
    raise DownloadError(f'could not fetch {url}: {e}') from e


def extract(url: str, zip_path: str, names: list[str], directory: str) -> None:
  """Copies only the named files out, never trusting the archive's paths."""
  try:
    with zipfile.ZipFile(zip_path) as archive:
      members = set(archive.namelist())
      for name in names:
        if f'{ZIP_FOLDER}/{name}' not in members:
          raise DownloadError(f'zip holds no {ZIP_FOLDER}/{name}')
      for name in names:
        with archive.open(f'{ZIP_FOLDER}/{name}') as source, open(
            os.path.join(directory, name), 'wb') as target:
          shutil.copyfileobj(source, target, CHUNK_BYTES)
  except (zipfile.BadZipFile, zlib.error) as e:
    raise DownloadError(f'{url} is not a valid zip: {e}') from e


def verify(directory: str, expected_md5: Mapping[str, str]) -> None:
  """Checks every file before any is moved, so no bad file ever lands."""
  for name, expected in expected_md5.items():
    actual = file_md5(os.path.join(directory, name))
    if actual != expected:
      raise DownloadError(
          f'{name}: md5 {actual} does not match the published ml-1m '
          f'checksum {expected}')


def download_ml1m(data_dir: str, url: str = ML1M_URL,
                  expected_md5: Mapping[str, str] = ML1M_MD5) -> list[str]:
  """Puts verified ml-1m files into data_dir and returns their paths.

  Raises:
    DownloadError: the files could not be fetched, extracted or verified; the
      destination is then left as it was.
  """
  data_dir = os.path.abspath(data_dir)
  names = list(expected_md5)
  paths = [os.path.join(data_dir, name) for name in names]
  if holds_verified_files(data_dir, expected_md5):
    print(f'{data_dir} already holds the verified ml-1m files; '
          'nothing to download')
    return paths
  parent = os.path.dirname(data_dir)
  try:
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX, dir=parent) as staging:
      zip_path = os.path.join(staging, 'ml-1m.zip')
      print(f'Downloading {url}')
      fetch(url, zip_path)
      extract(url, zip_path, names, staging)
      verify(staging, expected_md5)
      os.makedirs(data_dir, exist_ok=True)
      for name, path in zip(names, paths):
        os.replace(os.path.join(staging, name), path)
  except OSError as e:
    raise DownloadError(f'could not write the ml-1m files: {e}') from e
  return paths
