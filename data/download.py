"""Fetches a real MovieLens release behind `ytdnn download`.

Results are only comparable with published numbers on the exact GroupLens
release, so every download is checked against GroupLens's published md5s
before anything is moved into place: ml-1m file by file, the later releases
as the zip GroupLens publishes a checksum for. Everything is fetched and
checked in a temporary directory next to the destination, so a failed or
interrupted download never leaves a partial or wrong file where the pipeline
would read it.
"""

import dataclasses
import hashlib
import os
import re
import shutil
import tempfile
import types
import urllib.error
import urllib.request
import zipfile
import zlib
from typing import Mapping

from contract import errors
from contract import formats

BASE_URL = 'https://files.grouplens.org/datasets/movielens'
TIMEOUT_SECONDS = 60
CHUNK_BYTES = 1 << 20
# An md5 as md5sum (`HEX  NAME`) and BSD md5 (`MD5 (NAME) = HEX`) print it.
MD5_PATTERN = re.compile(r'\b[0-9a-fA-F]{32}\b')


class DownloadError(errors.YtdnnError):
  """The download did not yield the published files; nothing was kept."""


@dataclasses.dataclass(frozen=True)
class Release:
  """One GroupLens release: where its zip is and how it is verified."""
  name: str
  # The folder inside the zip that holds the data files.
  zip_folder: str
  data_format: formats.DataFormat
  # Published md5s, by the name of the file they vouch for: the data files
  # where GroupLens published theirs (ml-1m), else the zip. None: the zip's
  # is read from the `<url>.md5` GroupLens publishes beside it, where no
  # stored source gave a value to pin.
  checksums: Mapping[str, str] | None

  @property
  def url(self) -> str:
    return f'{BASE_URL}/{self.zip_name}'

  @property
  def zip_name(self) -> str:
    return f'{self.name}.zip'

  @property
  def files(self) -> tuple[str, ...]:
    """The files the pipeline reads, the only ones taken out of the zip."""
    return self.data_format.files


def _release(name: str, zip_folder: str,
             checksums: Mapping[str, str] | None) -> Release:
  """A release, in the format whose `releases` name it."""
  data_format, = (data_format for data_format in formats.FORMATS.values()
                  if name in data_format.releases)
  return Release(name=name, zip_folder=zip_folder, data_format=data_format,
                 checksums=None if checksums is None else
                 types.MappingProxyType(dict(checksums)))


# The zip md5s of ml-10m, ml-20m and ml-25m are those hard-coded in
# eli-osherovich/papers_with_code, datasets/movielens/dl_config.py; ml-20m's
# and ml-25m's also in numericalalgorithmsgroup/MLFirstSteps_Azure,
# ncf/verify_dataset.sh, copied there from GroupLens's `.zip.md5` files.
RELEASES = types.MappingProxyType({release.name: release for release in (
    _release('ml-1m', 'ml-1m', {
        'ratings.dat': 'a89aa3591bc97d6d4e0c89459ff39362',
        'movies.dat': 'ef9fd9ff8d1b33faf73e2122c371e910',
        'users.dat': '681c0711d0d4548cd3d4718a49c2dcd8',
    }),
    _release('ml-10m', 'ml-10M100K',
             {'ml-10m.zip': 'ce571fd55effeba0271552578f2648bd'}),
    _release('ml-20m', 'ml-20m',
             {'ml-20m.zip': 'cd245b17a1ae2cc31bb14903e1204af3'}),
    _release('ml-25m', 'ml-25m',
             {'ml-25m.zip': '6b51fb2759a8657d3bfcbfc42b592ada'}),
    _release('ml-32m', 'ml-32m', None),
)})
DEFAULT_RELEASE = 'ml-1m'


def release_named(name: str) -> Release:
  """The release called `name`; a DownloadError names the choices."""
  if name not in RELEASES:
    raise DownloadError(
        f'unknown dataset {name!r}; one of {", ".join(RELEASES)}')
  return RELEASES[name]


def file_md5(path: str) -> str:
  """Hashes in chunks, so a zip or ratings file never sits in memory."""
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


def published_md5(url: str, path: str) -> str:
  """Reads the md5 GroupLens publishes beside a zip, as `<url>.md5`."""
  fetch(url, path)
  with open(path, 'rb') as f:
    found = {md5.lower() for md5 in
             MD5_PATTERN.findall(f.read().decode('ascii', 'replace'))}
  if len(found) != 1:
    raise DownloadError(f'{url} holds no single md5 checksum')
  return found.pop()


def extract(url: str, zip_path: str, folder: str, names: tuple[str, ...],
            directory: str) -> None:
  """Copies only the named files out, never trusting the archive's paths."""
  try:
    with zipfile.ZipFile(zip_path) as archive:
      members = set(archive.namelist())
      for name in names:
        if f'{folder}/{name}' not in members:
          raise DownloadError(f'zip holds no {folder}/{name}')
      for name in names:
        with archive.open(f'{folder}/{name}') as source, open(
            os.path.join(directory, name), 'wb') as target:
          shutil.copyfileobj(source, target, CHUNK_BYTES)
  except (zipfile.BadZipFile, zlib.error) as e:
    raise DownloadError(f'{url} is not a valid zip: {e}') from e


def verify(release_name: str, directory: str,
           expected_md5: Mapping[str, str]) -> None:
  """Checks every file before any is moved, so no bad file ever lands."""
  for name, expected in expected_md5.items():
    actual = file_md5(os.path.join(directory, name))
    if actual != expected:
      raise DownloadError(
          f'{name}: md5 {actual} does not match the published '
          f'{release_name} checksum {expected}')


def download(release: Release, data_dir: str,
             url: str | None = None) -> list[str]:
  """Puts the release's verified files into data_dir and returns their paths.

  A release whose data files have published checksums (ml-1m) is skipped when
  data_dir already holds them; a zip's checksum cannot vouch for files already
  unpacked, so the other releases are fetched again. Where the release pins no
  checksum (ml-32m), the zip is checked against the `<url>.md5` fetched with
  it, so a mirror given as `url` must carry that file too.

  Raises:
    DownloadError: the files could not be fetched, extracted or verified; the
      destination is then left as it was.
  """
  url = url or release.url
  data_dir = os.path.abspath(data_dir)
  paths = [os.path.join(data_dir, name) for name in release.files]
  checksums = release.checksums or {}
  if (all(name in checksums for name in release.files)
      and holds_verified_files(data_dir, checksums)):
    print(f'{data_dir} already holds the verified {release.name} files; '
          'nothing to download')
    return paths
  parent = os.path.dirname(data_dir)
  try:
    os.makedirs(parent, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f'.{release.name}-download-',
                                     dir=parent) as staging:
      zip_path = os.path.join(staging, release.zip_name)
      if release.checksums is None:
        checksums = {release.zip_name: published_md5(
            f'{url}.md5', f'{zip_path}.md5')}
      print(f'Downloading {url}')
      fetch(url, zip_path)
      # The zip is checked before it is opened, so a wrong archive is never
      # parsed.
      verify(release.name, staging, {
          name: md5 for name, md5 in checksums.items()
          if name == release.zip_name})
      extract(url, zip_path, release.zip_folder, release.files, staging)
      verify(release.name, staging, {
          name: md5 for name, md5 in checksums.items()
          if name != release.zip_name})
      os.makedirs(data_dir, exist_ok=True)
      for name, path in zip(release.files, paths):
        os.replace(os.path.join(staging, name), path)
  except OSError as e:
    raise DownloadError(
        f'could not write the {release.name} files: {e}') from e
  return paths
