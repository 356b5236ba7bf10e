"""The MovieLens file formats the pipeline reads, and how a directory's is recognized.

GroupLens has published its releases in three formats:
- ml-1m: `::`-separated `ratings.dat`, `movies.dat` and `users.dat` (the
  users' demographics), whole-star ratings 1..5, no header.
- ml-10m: `::`-separated `ratings.dat` and `movies.dat`, no users file,
  half-star ratings 0.5..5.
- csv (ml-20m, ml-25m, ml-32m): comma-separated `ratings.csv` and
  `movies.csv`, each with a header line, half-star ratings 0.5..5, quoted
  titles where a title holds a comma, no users file.

A directory's format is recognized from the files it holds, so a user points
the pipeline at an unpacked release and nothing else.
"""

import dataclasses
from typing import Container, Iterator

# The key of the Transform's and the Trainers' custom_config that names the
# examples' format: it sets the stars label's scale and whether the models
# read demographics.
CUSTOM_CONFIG_KEY = 'data_format'


@dataclasses.dataclass(frozen=True)
class RatingScale:
  """The ratings a release allows: `lowest` to `highest` in steps of `step`."""
  lowest: float
  highest: float
  step: float

  @property
  def num_values(self) -> int:
    """How many ratings the scale holds: the stars head's classes."""
    return round((self.highest - self.lowest) / self.step) + 1

  @property
  def whole_stars(self) -> bool:
    """Whether every rating is an integer, as in ml-1m's 1..5."""
    return self.step == 1 and self.lowest == int(self.lowest)

  def holds(self, rating: float) -> bool:
    """Whether `rating` is one of the scale's values."""
    place = (rating - self.lowest) / self.step
    return (self.lowest <= rating <= self.highest
            and abs(place - round(place)) < 1e-9)

  def index(self, rating: float) -> int:
    """The rating's place on the scale, 0 for the lowest: its stars class."""
    return round((rating - self.lowest) / self.step)


WHOLE_STARS = RatingScale(lowest=1, highest=5, step=1)
HALF_STARS = RatingScale(lowest=0.5, highest=5, step=0.5)


@dataclasses.dataclass(frozen=True)
class DataFormat:
  """The files of one MovieLens format and how their lines are laid out."""
  name: str
  ratings_file: str
  movies_file: str
  # None where the release has no demographics.
  users_file: str | None
  separator: str
  # Whether a field may be quoted, as Python's csv module quotes a title
  # that holds a comma.
  quoted_fields: bool
  # The first line of each file, where the format has one; None otherwise.
  ratings_header: str | None
  movies_header: str | None
  rating_scale: RatingScale
  # Which releases GroupLens publishes in this format.
  releases: tuple[str, ...]

  @property
  def has_demographics(self) -> bool:
    """Whether examples carry gender, age, occupation and zip."""
    return self.users_file is not None

  @property
  def files(self) -> tuple[str, ...]:
    """Every file the format needs, ratings first."""
    return tuple(name for name in (self.ratings_file, self.movies_file,
                                   self.users_file) if name is not None)

  def header(self, file_name: str) -> str | None:
    """The header line `file_name` must start with, if the format has one."""
    return {self.ratings_file: self.ratings_header,
            self.movies_file: self.movies_header}.get(file_name)


ML_1M = DataFormat(
    name='ml-1m', ratings_file='ratings.dat', movies_file='movies.dat',
    users_file='users.dat', separator='::', quoted_fields=False,
    ratings_header=None, movies_header=None, rating_scale=WHOLE_STARS,
    releases=('ml-1m',))
ML_10M = DataFormat(
    name='ml-10m', ratings_file='ratings.dat', movies_file='movies.dat',
    users_file=None, separator='::', quoted_fields=False,
    ratings_header=None, movies_header=None, rating_scale=HALF_STARS,
    releases=('ml-10m',))
CSV = DataFormat(
    name='csv', ratings_file='ratings.csv', movies_file='movies.csv',
    users_file=None, separator=',', quoted_fields=True,
    ratings_header='userId,movieId,rating,timestamp',
    movies_header='movieId,title,genres', rating_scale=HALF_STARS,
    releases=('ml-20m', 'ml-25m', 'ml-32m'))

# In the order `recognize` tries them: ml-1m before ml-10m, whose files are
# ml-1m's but users.dat.
FORMATS = {data_format.name: data_format
           for data_format in (ML_1M, ML_10M, CSV)}


class UnknownFormat(ValueError):
  """A directory holds no MovieLens format's files."""


def _needs() -> Iterator[str]:
  for data_format in FORMATS.values():
    yield f'{data_format.name}: {", ".join(data_format.files)}'


def recognize(file_names: Container[str], where: str) -> DataFormat:
  """The format whose files are all among `file_names` (those in `where`)."""
  for data_format in FORMATS.values():
    if all(name in file_names for name in data_format.files):
      return data_format
  raise UnknownFormat(
      f'{where}: holds no MovieLens release; each format needs its files '
      f'({"; ".join(_needs())})')


def from_custom_config(custom_config: dict) -> DataFormat:
  """The format the pipeline names in a Transform's or Trainer's custom_config."""
  return by_name(custom_config[CUSTOM_CONFIG_KEY])


def by_name(name: str) -> DataFormat:
  """The format called `name`; raises ValueError naming the choices."""
  if name not in FORMATS:
    raise ValueError(f'unknown data format {name!r}; one of {list(FORMATS)}')
  return FORMATS[name]
