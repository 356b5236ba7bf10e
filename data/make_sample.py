"""Writes a synthetic MovieLens sample in any of the releases' file formats.

The MovieLens licences forbid redistributing the data, so the repository ships
this generated sample instead: the pipeline and its tests run on it out of the
box. Ratings come from a latent-factor model with a time effect, so a model
trained on the sample has real signal to find, and the files copy each
release's quirks so that code which handles the sample handles the release.

`--format` picks the files (contract/formats.py):
- ml-1m, the default and what data/sample holds: `ratings.dat`, `users.dat`
  and `movies.dat`, `::`-separated, whole stars, latin-1 titles, dashed zip
  codes, same-second rating batches and a user's ratings in no time order.
- ml-10m: `ratings.dat` and `movies.dat`, UTF-8, half stars written as ml-10m
  writes them ('3.5', '4'), no users file.
- csv (ml-20m, ml-25m, ml-32m): `ratings.csv` and `movies.csv` with header
  lines, half stars written '3.5' and '4.0', titles that hold a comma quoted.
Like those releases, the later two list a user's ratings by movie, number the
movies sparsely and add the 'IMAX' and '(no genres listed)' genres. For one
seed every format holds the same users, movies and choices: only the rounding
to the format's scale and the release's dress differ.

Ratings are made and written one user at a time, so a sample of millions of
ratings never sits in memory.

Usage:
  python data/make_sample.py --output-dir data/sample
  python data/make_sample.py --output-dir DIR --format csv \
      --users 70000 --movies 10000 --ratings-per-user 143
"""

import argparse
import csv
import dataclasses
import itertools
import math
import os
from typing import Callable, Iterable, Iterator, Optional, Sequence

import numpy as np

from contract import formats

DEFAULT_USERS = 600
DEFAULT_MOVIES = 400
DEFAULT_RATINGS_PER_USER = 85
DEFAULT_SEED = 1

# ml-1m keeps only users with at least 20 ratings; the heaviest rater there
# rated 62% of the movies.
MIN_RATINGS_PER_USER = 20
MAX_SHARE_OF_MOVIES_RATED = 0.6

# ml-1m's own encoding; the later releases are UTF-8.
ML_1M_ENCODING = 'latin-1'
LATER_ENCODING = 'utf-8'
GENRE_SEPARATOR = '|'
# How the formats spell a rating: ml-1m and ml-10m '4' and '3.5', the CSV
# releases '4.0' and '3.5'.
DAT_RATING_SPELLING = '{:g}'
CSV_RATING_SPELLING = '{:.1f}'

# Latent-factor rating model: rating = BASE_RATING + user bias + movie bias
# + user factors . movie factors + user drift + noise, rounded to the nearest
# rating of the format's scale and clipped to it.
NUM_FACTORS = 8
FACTOR_SD = 0.45
DEMOGRAPHIC_FACTOR_SD = 0.2
USER_BIAS_SD = 0.4
MOVIE_BIAS_SD = 0.45
NOISE_SD = 0.85
BASE_RATING = 3.1

# Time effects. Old films that are still watched are the good ones, so their
# ratings run higher; and each user's mean drifts over their rating history
# (on average users grow pickier), by USER_DRIFT stars from first to last.
OLD_MOVIE_BONUS_PER_DECADE = 0.08
USER_DRIFT_MEAN = -0.2
USER_DRIFT_SD = 0.3

# Which movies a user rates: popular ones and ones matching the user's taste.
POPULARITY_SD = 1.0
POPULARITY_PER_MOVIE_BIAS = 1.0
SELECTION_PER_AFFINITY = 1.5

# Release years: mostly recent, with a long tail back to ml-1m's oldest (1919).
LATEST_YEAR = 2000
OLDEST_YEAR = 1919
MOVIE_AGE_SCALE_YEARS = 12.0

# Rating times span ml-1m's period. Users rate in sessions of same-second
# batches (ml-1m: 77% of ratings share their second with another of the same
# user) a few dozen seconds apart; most users have one session, some come back.
FIRST_TIMESTAMP = 956703932  # 2000-04-25, ml-1m's first rating.
LAST_TIMESTAMP = 1046454590  # 2003-02-28, ml-1m's last rating.
BATCH_END_PROBABILITY = 0.45
BATCH_GAP_SECONDS = 40.0
NEW_SESSION_PROBABILITY = 0.02
SESSION_GAP_DAYS = 120.0
SECONDS_PER_DAY = 86400
START_SKEW = 3.0

# ml-1m's demographic codes and their rough shares.
GENDERS = ('M', 'F')
GENDER_SHARES = (0.72, 0.28)
AGES = (1, 18, 25, 35, 45, 50, 56)
AGE_SHARES = (0.04, 0.18, 0.35, 0.20, 0.09, 0.08, 0.06)
OCCUPATION_SHARES = (
    0.12, 0.09, 0.04, 0.03, 0.13, 0.02, 0.04, 0.11, 0.01, 0.02, 0.03,
    0.02, 0.06, 0.02, 0.05, 0.02, 0.04, 0.08, 0.01, 0.01, 0.05)

# Zip codes: ml-1m has a few ZIP+4 codes. User 1 always gets one, because the
# downstream CSV type inference must see a non-numeric zip in every split.
DASHED_ZIP_SHARE = 0.05

# ml-1m's 18 genres, in the alphabetical order ml-1m lists them in, with their
# rough frequencies there. A movie has 1 to 3 genres.
GENRE_WEIGHTS = {
    'Action': 500, 'Adventure': 280, 'Animation': 105, "Children's": 250,
    'Comedy': 1200, 'Crime': 210, 'Documentary': 130, 'Drama': 1600,
    'Fantasy': 70, 'Film-Noir': 45, 'Horror': 340, 'Musical': 115,
    'Mystery': 105, 'Romance': 470, 'Sci-Fi': 275, 'Thriller': 490,
    'War': 145, 'Western': 70,
}
GENRE_COUNT_SHARES = (0.5, 0.35, 0.15)
GENRE_SHARPNESS = 1.0

# From ml-10m on, GroupLens numbers movies sparsely (ml-25m's 62,423 movies
# have ids up to 209,171), appends 'IMAX' to the genres of IMAX releases and
# lists some movies with '(no genres listed)' alone.
MOVIE_ID_SPREAD = 3
IMAX_GENRE = 'IMAX'
# ml-1m's "Children's", as the later releases spell it.
LATER_CHILDREN = 'Children'
IMAX_SHARE = 0.01
NO_GENRES = '(no genres listed)'
NO_GENRES_SHARE = 0.02
# The later releases' dress draws from a stream of its own, so the model's
# draws stay exactly those of the ml-1m sample of the same seed.
LATER_RELEASE_STREAM = 1

# Titles are '<adjective> <noun>', some with ml-1m's trailing article (so
# some hold a comma, which the CSV releases quote); a few are accented so the
# sample exercises the encodings. Samples with more movies than there are
# such titles get sequels: 'Silent River 2', 'Silent River 2, The'.
TITLE_ADJECTIVES = (
    'Silent', 'Broken', 'Golden', 'Last', 'Lost', 'Dark', 'Crimson', 'Hidden',
    'Wild', 'Frozen', 'Burning', 'Distant', 'Endless', 'Forgotten', 'Hollow',
    'Iron', 'Lonely', 'Midnight', 'Northern', 'Paper', 'Quiet', 'Restless',
    'Secret', 'Shattered', 'Stolen', 'Sudden', 'Twisted', 'Velvet', 'Wicked',
    'Yellow')
TITLE_NOUNS = (
    'River', 'Harbor', 'Kingdom', 'Promise', 'Summer', 'Witness', 'Garden',
    'Highway', 'Island', 'Journey', 'Letter', 'Mirror', 'Mountain', 'Night',
    'Orchard', 'Passenger', 'Rain', 'Road', 'Shadow', 'Signal', 'Stranger',
    'Storm', 'Thief', 'Tide', 'Tower', 'Valley', 'Voyage', 'Winter', 'Wolf',
    'Game')
TITLE_ARTICLE_SUFFIXES = ('', ', The')
ACCENTED_TITLES = (
    'Amélie',
    'Cité des enfants perdus, La',
    'Misérables, Les',
    'Himmel über Berlin, Der',
    'Kjærlighetens kjøtere',
    'Métisse (Café au Lait)',
    'Huitième jour, Le',
    'Á köldum klaka',
)
PLAIN_TITLES_PER_EDITION = (len(TITLE_ADJECTIVES) * len(TITLE_NOUNS)
                            * len(TITLE_ARTICLE_SUFFIXES))


@dataclasses.dataclass(frozen=True)
class Users:
  """Generated users: what users.dat shows and the hidden taste behind it."""
  gender: np.ndarray
  age: np.ndarray
  occupation: np.ndarray
  zip_code: list[str]
  bias: np.ndarray
  factors: np.ndarray
  drift: np.ndarray


@dataclasses.dataclass(frozen=True)
class Movies:
  """Generated movies: what movies.dat shows and the hidden quality behind.

  The model knows a movie by its index; the files by `movie_id`, 1 + index in
  ml-1m and sparse in the later releases.
  """
  movie_id: np.ndarray
  title: list[str]
  year: np.ndarray
  genres: list[list[str]]
  bias: np.ndarray
  factors: np.ndarray
  log_popularity: np.ndarray


@dataclasses.dataclass(frozen=True)
class UserRatings:
  """One user's ratings, in ml-1m's order: neither by time nor by movie."""
  user_id: int
  movie_ids: np.ndarray
  # Each rating's place on the format's scale, 0 for its lowest.
  places: np.ndarray
  timestamps: np.ndarray

  def by_movie(self) -> 'UserRatings':
    """The same ratings by movie id, as the releases after ml-1m list them."""
    order = np.argsort(self.movie_ids, kind='stable')
    return UserRatings(self.user_id, self.movie_ids[order],
                       self.places[order], self.timestamps[order])

  def rows(self, spellings: Sequence[str]) -> Iterator[tuple]:
    """(user, movie, rating, timestamp) rows, a rating spelled by its place."""
    return zip(itertools.repeat(self.user_id), self.movie_ids.tolist(),
               [spellings[place] for place in self.places.tolist()],
               self.timestamps.tolist())


@dataclasses.dataclass(frozen=True)
class Sample:
  """Users and movies, with their ratings made as they are read."""
  users: Users
  movies: Movies
  # One user at a time, so that a big sample's ratings are never all in memory.
  ratings: Iterator[UserRatings]


def make_zip_codes(rng: np.random.Generator, num_users: int) -> list[str]:
  """5-digit zips, a few in ZIP+4 form like ml-1m's, always for user 1."""
  five_digits = rng.integers(0, 100000, size=num_users)
  plus_four = rng.integers(0, 10000, size=num_users)
  dashed = rng.random(num_users) < DASHED_ZIP_SHARE
  dashed[0] = True
  return [
      f'{zip5:05d}-{extra:04d}' if is_dashed else f'{zip5:05d}'
      for zip5, extra, is_dashed in zip(five_digits, plus_four, dashed)
  ]


def make_users(rng: np.random.Generator, num_users: int) -> Users:
  """Users whose taste depends a little on age and gender: demographics help."""
  gender = rng.choice(len(GENDERS), size=num_users, p=GENDER_SHARES)
  age = rng.choice(len(AGES), size=num_users, p=AGE_SHARES)
  occupation = rng.choice(
      len(OCCUPATION_SHARES), size=num_users,
      p=np.array(OCCUPATION_SHARES) / sum(OCCUPATION_SHARES))
  gender_taste = rng.normal(
      0, DEMOGRAPHIC_FACTOR_SD, (len(GENDERS), NUM_FACTORS))
  age_taste = rng.normal(0, DEMOGRAPHIC_FACTOR_SD, (len(AGES), NUM_FACTORS))
  factors = (rng.normal(0, FACTOR_SD, (num_users, NUM_FACTORS))
             + gender_taste[gender] + age_taste[age])
  return Users(
      gender=gender,
      age=age,
      occupation=occupation,
      zip_code=make_zip_codes(rng, num_users),
      bias=rng.normal(0, USER_BIAS_SD, num_users),
      factors=factors,
      drift=rng.normal(USER_DRIFT_MEAN, USER_DRIFT_SD, num_users),
  )


def gumbel_keys(rng: np.random.Generator, logits: np.ndarray) -> np.ndarray:
  """Logits plus Gumbel noise, for drawing without replacement, vectorized.

  The indices of the k largest keys are k distinct draws with probabilities
  softmax(logits), the largest first (the Gumbel-top-k trick).
  """
  return logits + rng.gumbel(size=logits.shape)


def top_k(keys: np.ndarray, k: int) -> np.ndarray:
  """`np.argsort(-keys, kind='stable')[:k]` of a 1-D `keys`, ties included.

  A user's picks among many movies: partitioning, then sorting only the
  candidates, is 15 times faster than sorting all the keys.
  """
  threshold = np.partition(keys, len(keys) - k)[len(keys) - k]
  candidates = np.flatnonzero(keys >= threshold)
  return candidates[np.argsort(-keys[candidates], kind='stable')][:k]


def make_genres(rng: np.random.Generator,
                factors: np.ndarray) -> list[list[str]]:
  """Genres follow the movie's latent factors, so genres carry taste signal."""
  names = list(GENRE_WEIGHTS)
  directions = rng.normal(0, 1, (len(names), NUM_FACTORS))
  directions /= np.linalg.norm(directions, axis=1, keepdims=True)
  weights = np.array(list(GENRE_WEIGHTS.values()), dtype=float)
  logits = (GENRE_SHARPNESS * factors @ directions.T / FACTOR_SD
            + np.log(weights / weights.sum()))
  counts = 1 + rng.choice(
      len(GENRE_COUNT_SHARES), size=len(factors), p=GENRE_COUNT_SHARES)
  ranked = np.argsort(-gumbel_keys(rng, logits), axis=-1, kind='stable')
  return [[names[i] for i in sorted(row[:count])]
          for row, count in zip(ranked, counts)]


def plain_titles(num_titles: int) -> list[str]:
  """At least `num_titles` distinct titles: sequels only where they must be.

  Up to 1,800 titles the list is the one ml-1m samples have always drawn
  from, so that their bytes stay the same.
  """
  editions = max(1, math.ceil(num_titles / PLAIN_TITLES_PER_EDITION))
  sequels = ('', *(f' {edition}' for edition in range(2, editions + 1)))
  return [f'{adjective} {noun}{sequel}{suffix}'
          for sequel in sequels
          for adjective in TITLE_ADJECTIVES
          for noun in TITLE_NOUNS
          for suffix in TITLE_ARTICLE_SUFFIXES]


def make_titles(rng: np.random.Generator, num_movies: int) -> list[str]:
  """Distinct titles, with the accented ones spread evenly over the ids."""
  num_plain = num_movies - len(ACCENTED_TITLES)
  plain = plain_titles(num_plain)
  chosen = rng.choice(len(plain), size=num_plain, replace=False)
  titles = [plain[i] for i in chosen]
  positions = np.linspace(0, num_movies - 1, len(ACCENTED_TITLES)).round()
  for position, accented in zip(positions.astype(int), ACCENTED_TITLES):
    titles.insert(position, accented)
  return titles


def make_movies(rng: np.random.Generator, num_movies: int) -> Movies:
  """Movies whose quality drives both their ratings and their popularity."""
  age = np.minimum(rng.exponential(MOVIE_AGE_SCALE_YEARS, num_movies),
                   LATEST_YEAR - OLDEST_YEAR).astype(int)
  factors = rng.normal(0, FACTOR_SD, (num_movies, NUM_FACTORS))
  bias = (rng.normal(0, MOVIE_BIAS_SD, num_movies)
          + OLD_MOVIE_BONUS_PER_DECADE * age / 10)
  log_popularity = (rng.normal(0, POPULARITY_SD, num_movies)
                    + POPULARITY_PER_MOVIE_BIAS * bias)
  return Movies(
      movie_id=np.arange(1, num_movies + 1),
      title=make_titles(rng, num_movies),
      year=LATEST_YEAR - age,
      genres=make_genres(rng, factors),
      bias=bias,
      factors=factors,
      log_popularity=log_popularity,
  )


def as_later_release(movies: Movies, seed: int) -> Movies:
  """The movies as ml-10m and after list them: sparse ids, "Children" without
  "'s", IMAX, no genres."""
  rng = np.random.default_rng([seed, LATER_RELEASE_STREAM])
  num_movies = len(movies.title)
  movie_id = 1 + np.sort(rng.choice(MOVIE_ID_SPREAD * num_movies,
                                    size=num_movies, replace=False))
  num_no_genres = max(1, round(NO_GENRES_SHARE * num_movies))
  num_imax = max(1, round(IMAX_SHARE * num_movies))
  picked = rng.choice(num_movies, size=num_no_genres + num_imax,
                      replace=False).tolist()
  genres = [[LATER_CHILDREN if genre == "Children's" else genre
             for genre in movie_genres] for movie_genres in movies.genres]
  for movie in picked[:num_no_genres]:
    genres[movie] = [NO_GENRES]
  for movie in picked[num_no_genres:]:
    genres[movie] = [*genres[movie], IMAX_GENRE]
  return dataclasses.replace(movies, movie_id=movie_id, genres=genres)


def rating_counts(rng: np.random.Generator, num_users: int, num_movies: int,
                  mean_ratings_per_user: float) -> np.ndarray:
  """Heavy-tailed ratings per user, at least ml-1m's minimum of 20."""
  extra = rng.exponential(mean_ratings_per_user - MIN_RATINGS_PER_USER,
                          num_users)
  most = max(MIN_RATINGS_PER_USER, int(MAX_SHARE_OF_MOVIES_RATED * num_movies))
  return np.minimum(MIN_RATINGS_PER_USER + extra.astype(int), most)


def make_timestamps(rng: np.random.Generator, count: int) -> np.ndarray:
  """Ascending times of one user's ratings: sessions of same-second batches."""
  batch_sizes = rng.geometric(BATCH_END_PROBABILITY, size=count)
  batch_of_rating = np.repeat(np.arange(count), batch_sizes)[:count]
  num_batches = batch_of_rating[-1] + 1
  in_session_gaps = 1 + rng.exponential(BATCH_GAP_SECONDS, num_batches - 1)
  session_gaps = SECONDS_PER_DAY * rng.exponential(SESSION_GAP_DAYS,
                                                   num_batches - 1)
  new_session = rng.random(num_batches - 1) < NEW_SESSION_PROBABILITY
  gaps = np.where(new_session, session_gaps, in_session_gaps).astype(int)
  offsets = np.concatenate([[0], np.cumsum(gaps)])
  period = LAST_TIMESTAMP - FIRST_TIMESTAMP
  # A rare user with long breaks would run past ml-1m's period: squeeze them in.
  if offsets[-1] > period:
    offsets = offsets * period // offsets[-1]
  room = period - offsets[-1]
  start = FIRST_TIMESTAMP + int(room * rng.beta(1.0, START_SKEW))
  return start + offsets[batch_of_rating]


def nearest_places(stars: np.ndarray,
                   scale: formats.RatingScale) -> np.ndarray:
  """Places on `scale` (0 for its lowest) of its ratings nearest to `stars`.

  Rounds in steps of the scale: on whole stars, exactly the np.rint the ml-1m
  sample has always been rounded with.
  """
  places = np.rint(stars / scale.step) - scale.lowest / scale.step
  return np.clip(places, 0, scale.num_values - 1).astype(int)


def rate(rng: np.random.Generator, users: Users, movies: Movies, user: int,
         movies_rated: np.ndarray, scale: formats.RatingScale) -> np.ndarray:
  """One user's ratings as places on `scale`, the movies in rating order."""
  progress = np.arange(len(movies_rated)) / len(movies_rated) - 0.5
  mean = (BASE_RATING + users.bias[user] + movies.bias[movies_rated]
          + movies.factors[movies_rated] @ users.factors[user]
          + users.drift[user] * progress)
  noisy = mean + rng.normal(0, NOISE_SD, len(movies_rated))
  return nearest_places(noisy, scale)


def make_user_ratings(rng: np.random.Generator, users: Users, movies: Movies,
                      user: int, count: int,
                      scale: formats.RatingScale) -> UserRatings:
  """One user's ratings, unordered in time like ml-1m's lines."""
  affinity = movies.factors @ users.factors[user]
  logits = movies.log_popularity + SELECTION_PER_AFFINITY * affinity
  movies_rated = rng.permutation(top_k(gumbel_keys(rng, logits), count))
  timestamps = make_timestamps(rng, count)
  places = rate(rng, users, movies, user, movies_rated, scale)
  order = rng.permutation(count)
  return UserRatings(user + 1, movies.movie_id[movies_rated[order]],
                     places[order], timestamps[order])


def generate_sample(num_users: int, num_movies: int,
                    mean_ratings_per_user: float, seed: int,
                    data_format: formats.DataFormat) -> Sample:
  """The sample in `data_format`'s dress, its ratings still to be made.

  Every format draws the model from one stream in one order, so a seed gives
  the same users, movies and choices in each.
  """
  rng = np.random.default_rng(seed)
  users = make_users(rng, num_users)
  movies = make_movies(rng, num_movies)
  if data_format != formats.ML_1M:
    movies = as_later_release(movies, seed)
  counts = rating_counts(rng, num_users, num_movies, mean_ratings_per_user)
  ratings = (make_user_ratings(rng, users, movies, user, count,
                               data_format.rating_scale)
             for user, count in enumerate(counts))
  return Sample(users, movies, ratings)


def rating_spellings(scale: formats.RatingScale, spelling: str) -> list[str]:
  """Each of the scale's ratings as a file writes it, by place."""
  return [spelling.format(scale.lowest + place * scale.step)
          for place in range(scale.num_values)]


def user_rows(users: Users) -> Iterator[tuple]:
  """users.dat rows: UserID, Gender, Age, Occupation, Zip-code."""
  for i, zip_code in enumerate(users.zip_code):
    yield (i + 1, GENDERS[users.gender[i]], AGES[users.age[i]],
           users.occupation[i], zip_code)


def movie_rows(movies: Movies) -> Iterator[tuple]:
  """Movies file rows: MovieID, Title (Year), Genre|Genre."""
  for movie_id, title, year, genres in zip(
      movies.movie_id.tolist(), movies.title, movies.year, movies.genres):
    yield movie_id, f'{title} ({year})', GENRE_SEPARATOR.join(genres)


def rating_rows(ratings: Iterable[UserRatings], spellings: Sequence[str],
                by_movie: bool) -> Iterator[tuple]:
  """Every user's rating rows, user by user, listed by movie if `by_movie`."""
  for user_ratings in ratings:
    if by_movie:
      user_ratings = user_ratings.by_movie()
    yield from user_ratings.rows(spellings)


def write_dat(path: str, encoding: str, rows: Iterable[tuple]) -> None:
  """Writes `::`-separated lines as they come, '\\n'-ended on every platform."""
  separator = formats.ML_1M.separator
  with open(path, 'w', encoding=encoding, newline='\n') as f:
    f.writelines(separator.join(map(str, row)) + '\n' for row in rows)


def write_csv(path: str, header: str, rows: Iterable[tuple]) -> None:
  """Writes UTF-8 CSV rows as they come, after the file's header line.

  The csv module quotes as GroupLens does: only a field that holds a comma, a
  double quote or a line end, as in "Saint, The (1997)".
  """
  with open(path, 'w', encoding=LATER_ENCODING, newline='') as f:
    f.write(header + '\n')
    csv.writer(f, lineterminator='\n').writerows(rows)


def write_ml_1m_files(output_dir: str, sample: Sample) -> None:
  """ml-1m's three files: latin-1, a user's ratings in no order."""
  data_format = formats.ML_1M
  spellings = rating_spellings(data_format.rating_scale, DAT_RATING_SPELLING)
  write_dat(os.path.join(output_dir, data_format.ratings_file),
            ML_1M_ENCODING,
            rating_rows(sample.ratings, spellings, by_movie=False))
  write_dat(os.path.join(output_dir, data_format.users_file), ML_1M_ENCODING,
            user_rows(sample.users))
  write_dat(os.path.join(output_dir, data_format.movies_file),
            ML_1M_ENCODING, movie_rows(sample.movies))


def write_ml_10m_files(output_dir: str, sample: Sample) -> None:
  """ml-10m's two files: UTF-8, a user's ratings by movie."""
  data_format = formats.ML_10M
  spellings = rating_spellings(data_format.rating_scale, DAT_RATING_SPELLING)
  write_dat(os.path.join(output_dir, data_format.ratings_file),
            LATER_ENCODING,
            rating_rows(sample.ratings, spellings, by_movie=True))
  write_dat(os.path.join(output_dir, data_format.movies_file),
            LATER_ENCODING, movie_rows(sample.movies))


def write_csv_files(output_dir: str, sample: Sample) -> None:
  """The CSV releases' two files, each with its header; ratings by movie."""
  data_format = formats.CSV
  spellings = rating_spellings(data_format.rating_scale, CSV_RATING_SPELLING)
  write_csv(os.path.join(output_dir, data_format.ratings_file),
            data_format.ratings_header,
            rating_rows(sample.ratings, spellings, by_movie=True))
  write_csv(os.path.join(output_dir, data_format.movies_file),
            data_format.movies_header, movie_rows(sample.movies))


WRITERS: dict[str, Callable[[str, Sample], None]] = {
    formats.ML_1M.name: write_ml_1m_files,
    formats.ML_10M.name: write_ml_10m_files,
    formats.CSV.name: write_csv_files,
}


def check_no_other_format(output_dir: str,
                          data_format: formats.DataFormat) -> None:
  """Refuses a directory that holds another format's files.

  The pipeline reads a directory as the first format whose files it holds
  (formats.recognize), so a csv sample written next to an old ml-1m one would
  be silently ignored.
  """
  others = {name for other in formats.FORMATS.values()
            for name in other.files} - set(data_format.files)
  present = sorted(others.intersection(os.listdir(output_dir)))
  if present:
    raise ValueError(
        f"{output_dir} already holds another format's files "
        f'({", ".join(present)}): write the {data_format.name} sample to a '
        'directory without them')


def write_sample(output_dir: str, num_users: int = DEFAULT_USERS,
                 num_movies: int = DEFAULT_MOVIES,
                 mean_ratings_per_user: float = DEFAULT_RATINGS_PER_USER,
                 seed: int = DEFAULT_SEED,
                 data_format: formats.DataFormat = formats.ML_1M) -> None:
  """Writes the format's files; the same arguments give the same bytes."""
  if num_users < 1:
    raise ValueError('need at least 1 user')
  if num_movies < MIN_RATINGS_PER_USER:
    raise ValueError(f'need at least {MIN_RATINGS_PER_USER} movies')
  if mean_ratings_per_user <= MIN_RATINGS_PER_USER:
    raise ValueError(
        f'mean ratings per user must exceed {MIN_RATINGS_PER_USER}')
  os.makedirs(output_dir, exist_ok=True)
  check_no_other_format(output_dir, data_format)
  WRITERS[data_format.name](output_dir, generate_sample(
      num_users, num_movies, mean_ratings_per_user, seed, data_format))


def make_parser() -> argparse.ArgumentParser:
  """Flags for other formats, sizes and seeds, e.g. tiny samples for tests."""
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True)
  parser.add_argument('--format', choices=list(formats.FORMATS),
                      default=formats.ML_1M.name,
                      help="which releases' files to write (default: "
                      '%(default)s)')
  parser.add_argument('--users', type=int, default=DEFAULT_USERS)
  parser.add_argument('--movies', type=int, default=DEFAULT_MOVIES)
  parser.add_argument('--ratings-per-user', type=float,
                      default=DEFAULT_RATINGS_PER_USER,
                      help='mean before capping at 60%% of the movies')
  parser.add_argument('--seed', type=int, default=DEFAULT_SEED)
  return parser


def main(argv: Optional[Sequence[str]] = None) -> None:
  """Reports bad sizes as a usage error rather than a traceback."""
  parser = make_parser()
  args = parser.parse_args(argv)
  try:
    write_sample(args.output_dir, args.users, args.movies,
                 args.ratings_per_user, args.seed,
                 formats.by_name(args.format))
  except ValueError as e:
    parser.error(str(e))


if __name__ == '__main__':
  main()
