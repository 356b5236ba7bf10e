"""The ingestion's line rules, applied without Beam: what `ytdnn validate` runs.

A user checking a data directory before a run wants every broken line with its
place, in seconds and with no pipeline: the rules are the same functions the
Beam ingestion calls, so the two can never disagree on what is valid.
"""

import collections
import dataclasses
import functools
from typing import Callable, Hashable, Iterator, TypeVar

from apache_beam.io.filesystems import FileSystems

from components.ingestion import input_files
from components.ingestion import rules
from contract import formats

_Record = TypeVar('_Record', rules.User, rules.Movie, rules.Rating)


@dataclasses.dataclass(frozen=True)
class Validation:
  """Lines read per file and every rejected line, in file order."""
  lines_read: dict[str, int]
  rejects: list[rules.Reject]

  @property
  def share(self) -> float:
    return len(self.rejects) / max(sum(self.lines_read.values()), 1)

  def counts(self) -> dict[str, int]:
    """Rejected lines per rule, most frequent first."""
    return dict(collections.Counter(
        reject.rule for reject in self.rejects).most_common())


def _lines(path: str, first: int) -> Iterator[tuple[int, str]]:
  """The file's lines from line `first` on, with their 1-based numbers."""
  with FileSystems.open(path) as file:
    for number, raw in enumerate(iter(file.readline, b''), start=1):
      if number >= first:
        yield number, rules.decode_line(raw)


def _parse(path: str, parse: Callable[..., _Record],
           data_format: formats.DataFormat, rejects: list[rules.Reject],
           lines_read: dict[str, int]) -> list[_Record]:
  """Parses every line of a file, recording rejects and the lines read."""
  name = FileSystems.split(path)[1]
  records = []
  lines_read[name] = 0
  for number, text in _lines(path, rules.first_data_line(data_format, name)):
    lines_read[name] = number
    try:
      records.append(parse(number, text, data_format=data_format))
    except rules.Rejected as rejected:
      rejects.append(rules.Reject(name, number, rejected.rule, text))
  return records


def _unique(records: list[_Record], key: Callable[[_Record], Hashable],
            name: str, rule: str, rejects: list[rules.Reject]) -> list[_Record]:
  kept, later = rules.keep_first(records, key)
  rejects.extend(rules.Reject(name, record.line, rule, record.text)
                 for record in later)
  return kept


@dataclasses.dataclass(frozen=True)
class ValidRecords:
  """The lines that pass every rule, parsed, and the validation of all lines.

  `users` is empty for a format without a users file.
  """
  data_format: formats.DataFormat
  users: list[rules.User]
  movies: list[rules.Movie]
  ratings: list[rules.Rating]
  validation: Validation


def read_valid_records(data_dir: str) -> ValidRecords:
  """Parses the files of the directory's format; raises IngestionError on a bad file."""
  files = input_files.check_input_files(data_dir)
  data_format = files.data_format
  rejects: list[rules.Reject] = []
  lines_read: dict[str, int] = {}
  users = []
  user_ids = None
  if files.users is not None:
    users = _unique(
        _parse(files.users, rules.parse_user, data_format, rejects,
               lines_read),
        lambda user: user.user_id, data_format.users_file,
        rules.DUPLICATE_USER, rejects)
    user_ids = {user.user_id for user in users}
  movies = _unique(
      _parse(files.movies, rules.parse_movie, data_format, rejects,
             lines_read),
      lambda movie: movie.movie_id, data_format.movies_file,
      rules.DUPLICATE_MOVIE, rejects)
  parse_rating = functools.partial(
      rules.parse_rating, user_ids=user_ids,
      movie_ids={movie.movie_id for movie in movies})
  ratings = _unique(
      _parse(files.ratings, parse_rating, data_format, rejects, lines_read),
      lambda rating: (rating.user_id, rating.movie_id),
      data_format.ratings_file, rules.DUPLICATE_PAIR, rejects)
  rejects.sort(key=lambda reject: (reject.file, reject.line))
  return ValidRecords(data_format, users, movies, ratings,
                      Validation(lines_read, rejects))


def validate(data_dir: str) -> Validation:
  """Checks the files of the directory's format; raises IngestionError on a bad file."""
  return read_valid_records(data_dir).validation
