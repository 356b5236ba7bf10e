"""Line- and file-level validation rules for the MovieLens files of every format.

Pure Python with no Beam import, so the ingestion executor and a standalone
`validate` command apply exactly the same rules. Every format
(contract/formats.py) is held to the same rules; only how a line splits into
fields and which ratings its scale allows differ.
"""

import csv
import operator
import re
from typing import Callable, Container, Hashable, Iterable, NamedTuple, TypeVar

from contract import errors
from contract import features
from contract import formats

# Reject rules, one count each in the ingestion report.
EMPTY_LINE = 'empty_line'
FIELD_COUNT = 'field_count'
NON_NUMERIC = 'non_numeric'
RATING_RANGE = 'rating_range'
NEGATIVE_TIMESTAMP = 'negative_timestamp'
UNKNOWN_USER = 'unknown_user'
UNKNOWN_MOVIE = 'unknown_movie'
DUPLICATE_PAIR = 'duplicate_pair'
DUPLICATE_USER = 'duplicate_user'
DUPLICATE_MOVIE = 'duplicate_movie'
BAD_GENDER = 'bad_gender'
BAD_AGE = 'bad_age'
BAD_OCCUPATION = 'bad_occupation'
BAD_ZIP = 'bad_zip'
BAD_TITLE = 'bad_title'
BAD_GENRES = 'bad_genres'
RULES = (
    EMPTY_LINE, FIELD_COUNT, NON_NUMERIC, RATING_RANGE, NEGATIVE_TIMESTAMP,
    UNKNOWN_USER, UNKNOWN_MOVIE, DUPLICATE_PAIR, DUPLICATE_USER,
    DUPLICATE_MOVIE, BAD_GENDER, BAD_AGE, BAD_OCCUPATION, BAD_ZIP, BAD_TITLE,
    BAD_GENRES,
)

GENDERS = frozenset({'M', 'F'})
AGES = frozenset({1, 18, 25, 35, 45, 50, 56})
OCCUPATIONS = range(0, 21)

# How much of a file the file-level check reads: enough to see many lines.
HEAD_BYTES = 64 * 1024

# `int()` alone would accept ' 5', '+5', '5_0' and non-ASCII digits.
_INTEGER = re.compile(r'-?[0-9]+')
# A half-star rating as ml-10m ('3.5', '4') and the CSV releases ('4.0') write it.
_DECIMAL = re.compile(r'[0-9]+(\.[0-9]+)?')
_TITLE_YEAR = re.compile(r'\(([0-9]{4})\)$')


class IngestionError(errors.YtdnnError, ValueError):
  """A problem that stops the whole ingestion, not just one line."""


class Rejected(Exception):
  """Raised by a parser when a line breaks `rule`."""

  def __init__(self, rule: str):
    super().__init__(rule)
    self.rule = rule


class Reject(NamedTuple):
  """One rejected line, as written to the rejects file."""
  file: str
  line: int
  rule: str
  text: str


# Every record keeps its 1-based line number and text so that a rule applied
# later (duplicates) can still reject it with its position in the file.
class User(NamedTuple):
  user_id: int
  gender: str
  age: int
  occupation: int
  zip: str
  line: int
  text: str


class Movie(NamedTuple):
  movie_id: int
  year: int
  genres: str
  # With its year, as the file has it; only displays need it.
  title: str
  line: int
  text: str


class Rating(NamedTuple):
  user_id: int
  movie_id: int
  # An int on ml-1m's whole-star scale, a float on the half-star scale.
  rating: int | float
  timestamp: int
  line: int
  text: str


def decode_line(raw: bytes) -> str:
  """UTF-8 first so re-encoded files work; latin-1 (ml-1m's own) never fails."""
  try:
    text = raw.decode('utf-8')
  except UnicodeDecodeError:
    text = raw.decode('latin-1')
  return text.rstrip('\r\n').removeprefix('\ufeff')


def check_file_head(path: str, head: bytes,
                    data_format: formats.DataFormat = formats.ML_1M) -> None:
  """Stops early on files that would otherwise be rejected line by line.

  A format with a header must start with it: a CSV file with its columns in
  another order would otherwise be read field by field in the wrong places.
  """
  if not head.strip():
    raise IngestionError(f'{path}: empty file')
  separator = data_format.separator
  if separator.encode() not in head:
    raise IngestionError(
        f"{path}: not separated by '{separator}' (none in its first "
        f'{len(head)} bytes; {data_format.name} files are)')
  header = data_format.header(path.rsplit('/', 1)[-1])
  if header is not None:
    first_line = decode_line(head.split(b'\n', 1)[0])
    if first_line != header:
      raise IngestionError(
          f'{path}: line 1 must be the header {header!r} of the '
          f'{data_format.name} format, not {first_line[:80]!r}')


def first_data_line(data_format: formats.DataFormat, file_name: str) -> int:
  """The 1-based number of a file's first record: 2 past a header line."""
  return 1 if data_format.header(file_name) is None else 2


def _fields(text: str, count: int, data_format: formats.DataFormat
            ) -> list[str]:
  """The line's fields; a CSV line's quoted fields may hold commas.

  A line without a quote splits as the csv module would split it, without
  building a reader: every ratings.csv line is such a line.
  """
  if not text.strip():
    raise Rejected(EMPTY_LINE)
  if data_format.quoted_fields and '"' in text:
    try:
      fields = next(csv.reader([text], strict=True))
    except csv.Error as error:
      raise Rejected(FIELD_COUNT) from error
  else:
    fields = text.split(data_format.separator)
  if len(fields) != count:
    raise Rejected(FIELD_COUNT)
  return fields


def _integer(field: str) -> int:
  if not _INTEGER.fullmatch(field):
    raise Rejected(NON_NUMERIC)
  return int(field)


def parse_user(line: int, text: str,
               data_format: formats.DataFormat = formats.ML_1M) -> User:
  """`UserID::Gender::Age::Occupation::Zip`; raises Rejected."""
  user_id, gender, age, occupation, zip_code = _fields(text, 5, data_format)
  user = User(_integer(user_id), gender, _integer(age), _integer(occupation),
              zip_code, line, text)
  if user.gender not in GENDERS:
    raise Rejected(BAD_GENDER)
  if user.age not in AGES:
    raise Rejected(BAD_AGE)
  if user.occupation not in OCCUPATIONS:
    raise Rejected(BAD_OCCUPATION)
  # No postal code holds a comma: one means the fields are shifted.
  if not zip_code or ',' in zip_code:
    raise Rejected(BAD_ZIP)
  return user


def parse_movie(line: int, text: str,
                data_format: formats.DataFormat = formats.ML_1M) -> Movie:
  """`MovieID::Title (Year)::Genre|Genre`, or the CSV's; raises Rejected."""
  movie_id, title, genres = _fields(text, 3, data_format)
  movie_id = _integer(movie_id)
  title = title.strip()
  year = _TITLE_YEAR.search(title)
  if not year:
    raise Rejected(BAD_TITLE)
  # ml-1m separates genres with '|', so a comma means another list format;
  # each genre gets one of MAX_GENRES features.
  # Which names are genres is the schema's call, so a new one reaches it.
  names = genres.split(features.GENRE_SEPARATOR)
  if ',' in genres or not all(names) or len(names) > features.MAX_GENRES:
    raise Rejected(BAD_GENRES)
  return Movie(movie_id, int(year.group(1)), genres, title, line, text)


def _rating_value(field: str, scale: formats.RatingScale) -> int | float:
  """The rating as its scale holds it: an int on whole stars, else a float."""
  if scale.whole_stars:
    return _integer(field)
  if not _DECIMAL.fullmatch(field):
    raise Rejected(NON_NUMERIC)
  return float(field)


def parse_rating(line: int, text: str, user_ids: Container[int] | None,
                 movie_ids: Container[int],
                 data_format: formats.DataFormat = formats.ML_1M) -> Rating:
  """`UserID::MovieID::Rating::Timestamp`, or the CSV's; raises Rejected.

  Takes the valid user and movie ids because a rating of a rejected user or
  movie could not be joined to its features; `user_ids` is None for a format
  without a users file, whose ratings define the users.
  """
  user_id, movie_id, stars, timestamp = _fields(text, 4, data_format)
  rating = Rating(_integer(user_id), _integer(movie_id),
                  _rating_value(stars, data_format.rating_scale),
                  _integer(timestamp), line, text)
  if not data_format.rating_scale.holds(rating.rating):
    raise Rejected(RATING_RANGE)
  if rating.timestamp < 0:
    raise Rejected(NEGATIVE_TIMESTAMP)
  if user_ids is not None and rating.user_id not in user_ids:
    raise Rejected(UNKNOWN_USER)
  if rating.movie_id not in movie_ids:
    raise Rejected(UNKNOWN_MOVIE)
  return rating


_Record = TypeVar('_Record', User, Movie, Rating, tuple)


def keep_first(records: Iterable[_Record], key: Callable[[_Record], Hashable],
               line: Callable[[_Record], int] = operator.attrgetter('line')
               ) -> tuple[list[_Record], list[_Record]]:
  """Splits records into the first of each key (by line) and the later ones.

  The earliest line wins so the result does not depend on the order a
  distributed runner delivers the records in. `line` reads a record's line
  number: records that crossed a shuffle as plain tuples give it by position.
  """
  kept, later = [], []
  seen = set()
  for record in sorted(records, key=line):
    if key(record) in seen:
      later.append(record)
    else:
      seen.add(key(record))
      kept.append(record)
  return kept, later
