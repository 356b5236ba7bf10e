"""Layout and text formats of the ingestion's output directory.

<uri>/train/*.csv and <uri>/eval/*.csv hold the examples (each shard with the
header row), <uri>/rejects/rejects-*.tsv the rejected lines and
<uri>/report.json the counts.
"""

from components.ingestion import examples
from components.ingestion import rules
from pipeline import configs
from pipeline import features

REJECTS_DIR = 'rejects'
REJECTS_PREFIX = 'rejects'
REPORT_FILE = 'report.json'
SPLITS = (configs.TRAIN_SPLIT, configs.EVAL_SPLIT)

CSV_HEADER = ','.join(features.CSV_COLUMNS)
REJECTS_HEADER = '\t'.join(rules.Reject._fields)


def split_pattern(split: str) -> str:
  """CsvExampleGen input pattern of a split, relative to the output URI."""
  return f'{split}/*'


def genre_cells(genres: str) -> dict[str, str]:
  """A movie's '|'-joined genres over the genre columns, empty past the last.

  The rules guarantee at most MAX_GENRES non-empty names.
  """
  names = genres.split(features.GENRE_SEPARATOR)
  return {column: names[position] if position < len(names) else ''
          for position, column in enumerate(features.GENRE_COLUMNS)}


def csv_values(example: examples.Example, user: rules.User,
               movie: rules.Movie, movie_rating_count: int) -> dict[str, object]:
  """Every CSV column of one example; serving clients build requests from it too."""
  return {
      features.USER_ID: example.user_id,
      features.MOVIE_ID: example.movie_id,
      features.RATING: example.rating,
      features.TIMESTAMP: example.timestamp,
      features.GENDER: user.gender,
      features.AGE: user.age,
      features.OCCUPATION: user.occupation,
      features.ZIP: user.zip,
      **genre_cells(movie.genres),
      features.MOVIE_YEAR: movie.year,
      features.HISTORY: example.history,
      features.HISTORY_RATINGS: example.history_ratings,
      features.USER_RATING_COUNT: example.user_rating_count,
      features.SECONDS_SINCE_PREVIOUS: example.seconds_since_previous,
      features.MOVIE_RATING_COUNT: movie_rating_count,
      features.USER_ACTIVITY_BUCKET: examples.bucket_label(
          example.user_rating_count, configs.USER_ACTIVITY_BOUNDARIES),
      features.MOVIE_POPULARITY_BUCKET: examples.bucket_label(
          movie_rating_count, configs.MOVIE_POPULARITY_BOUNDARIES),
  }


def csv_line(example: examples.Example, user: rules.User, movie: rules.Movie,
             movie_rating_count: int) -> str:
  """One CSV row; the rules guarantee that no value contains a comma."""
  values = csv_values(example, user, movie, movie_rating_count)
  return ','.join(str(values[column]) for column in features.CSV_COLUMNS)


def reject_line(reject: rules.Reject) -> str:
  """One TSV row; escapes keep a rejected line's tabs from adding columns."""
  text = (reject.text.replace('\\', '\\\\').replace('\t', '\\t')
          .replace('\r', '\\r'))
  return f'{reject.file}\t{reject.line}\t{reject.rule}\t{text}'
