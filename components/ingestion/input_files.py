"""File-level checks of a MovieLens input directory, run before any Beam work.

The directory's format (contract/formats.py) is recognized from its files,
and a missing, empty or wrongly separated file fails in seconds with one clear
message instead of as millions of line rejects at the end of a Beam job.
Reads through Beam filesystems so gs:// and other remote paths work.
"""

import dataclasses

from apache_beam.io.filesystems import FileSystems

from components.ingestion import rules
from contract import formats


def recognize_format(data_dir: str) -> formats.DataFormat:
  """The MovieLens format of the files in `data_dir`; raises IngestionError."""
  present = {
      name for name in (
          name for data_format in formats.FORMATS.values()
          for name in data_format.files)
      if FileSystems.exists(FileSystems.join(data_dir, name))}
  try:
    return formats.recognize(present, data_dir)
  except formats.UnknownFormat as error:
    raise rules.IngestionError(str(error)) from error


def fingerprint(data_dir: str) -> str:
  """Size and modification time of each input file, as ExampleGen fingerprints.

  The ingestion's cache key holds its settings, and the data directory's path
  alone would let a rerun reuse an ingestion of files that have changed since.
  A missing file contributes nothing: the ingestion itself reports it.
  """
  parts = []
  for name in sorted({name for data_format in formats.FORMATS.values()
                      for name in data_format.files}):
    path = FileSystems.join(data_dir, name)
    if FileSystems.exists(path):
      metadata = FileSystems.match([path])[0].metadata_list[0]
      parts.append(f'{name}:{metadata.size_in_bytes}:'
                   f'{metadata.last_updated_in_seconds}')
  return ','.join(parts)


@dataclasses.dataclass(frozen=True)
class InputFiles:
  """A checked input directory: its format and the path of each of its files."""
  data_format: formats.DataFormat
  paths: dict[str, str]

  @property
  def ratings(self) -> str:
    return self.paths[self.data_format.ratings_file]

  @property
  def movies(self) -> str:
    return self.paths[self.data_format.movies_file]

  @property
  def users(self) -> str | None:
    """The users file, None for a format without demographics."""
    users_file = self.data_format.users_file
    return None if users_file is None else self.paths[users_file]


def check_input_files(data_dir: str,
                      data_format: formats.DataFormat | None = None
                      ) -> InputFiles:
  """The format's files, each checked; raises IngestionError naming a bad file.

  `data_format` is the format the pipeline was built for; None recognizes it.
  """
  data_format = data_format or recognize_format(data_dir)
  paths = {}
  for name in data_format.files:
    path = FileSystems.join(data_dir, name)
    if not FileSystems.exists(path):
      raise rules.IngestionError(
          f'{path}: missing file of the {data_format.name} format')
    with FileSystems.open(path) as file:
      head = file.read(rules.HEAD_BYTES)
    rules.check_file_head(path, head, data_format)
    paths[name] = path
  return InputFiles(data_format, paths)
