"""Writes a synthetic sample in the exact MovieLens 1M (ml-1m) file format.

The ml-1m licence forbids redistributing the data, so the repository ships this
generated sample instead: the pipeline and its tests run on it out of the box.
Ratings come from a latent-factor model with a time effect, so a model trained
on the sample has real signal to find, and the files copy ml-1m's quirks
(latin-1 titles, dashed zip codes, same-second rating batches, unordered
ratings within a user) so that code which handles the sample handles ml-1m.

Usage:
  python data/make_sample.py --output-dir data/sample
"""

import argparse
import dataclasses
import os
from typing import Optional, Sequence

import numpy as np

DEFAULT_USERS = 600
DEFAULT_MOVIES = 400
DEFAULT_RATINGS_PER_USER = 85
DEFAULT_SEED = 1

# ml-1m keeps only users with at least 20 ratings; the heaviest rater there
# rated 62% of the movies.
MIN_RATINGS_PER_USER = 20
MAX_SHARE_OF_MOVIES_RATED = 0.6

ENCODING = 'latin-1'
FIELD_SEPARATOR = '::'
GENRE_SEPARATOR = '|'

# Latent-factor rating model: rating = BASE_RATING + user bias + movie bias
# + user factors . movie factors + user drift + noise, rounded and clipped.
NUM_FACTORS = 8
FACTOR_SD = 0.45
DEMOGRAPHIC_FACTOR_SD = 0.2
USER_BIAS_SD = 0.4
MOVIE_BIAS_SD = 0.45
NOISE_SD = 0.85
BASE_RATING = 3.1
MIN_RATING = 1
MAX_RATING = 5

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

# Titles are '<adjective> <noun>', some with ml-1m's trailing article; a few
# are accented so the sample exercises the latin-1 encoding.
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
MAX_MOVIES = (len(TITLE_ADJECTIVES) * len(TITLE_NOUNS)
              * len(TITLE_ARTICLE_SUFFIXES) + len(ACCENTED_TITLES))


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
  """Generated movies: what movies.dat shows and the hidden quality behind."""
  title: list[str]
  year: np.ndarray
  genres: list[list[str]]
  bias: np.ndarray
  factors: np.ndarray
  log_popularity: np.ndarray


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


def gumbel_top_k(rng: np.random.Generator, logits: np.ndarray,
                 k: int) -> np.ndarray:
  """Draws k distinct indices with probabilities softmax(logits), vectorized."""
  keys = logits + rng.gumbel(size=logits.shape)
  return np.argsort(-keys, axis=-1, kind='stable')[..., :k]


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
  ranked = gumbel_top_k(rng, logits, counts.max())
  return [[names[i] for i in sorted(row[:count])]
          for row, count in zip(ranked, counts)]


def make_titles(rng: np.random.Generator, num_movies: int) -> list[str]:
  """Distinct titles, with the accented ones spread evenly over the ids."""
  plain = [f'{adjective} {noun}{suffix}'
           for adjective in TITLE_ADJECTIVES
           for noun in TITLE_NOUNS
           for suffix in TITLE_ARTICLE_SUFFIXES]
  chosen = rng.choice(len(plain), size=num_movies - len(ACCENTED_TITLES),
                      replace=False)
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
      title=make_titles(rng, num_movies),
      year=LATEST_YEAR - age,
      genres=make_genres(rng, factors),
      bias=bias,
      factors=factors,
      log_popularity=log_popularity,
  )


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


def rate(rng: np.random.Generator, users: Users, movies: Movies, user: int,
         movie_ids: np.ndarray) -> np.ndarray:
  """Star ratings of one user for movies listed in the order they were rated."""
  progress = np.arange(len(movie_ids)) / len(movie_ids) - 0.5
  mean = (BASE_RATING + users.bias[user] + movies.bias[movie_ids]
          + movies.factors[movie_ids] @ users.factors[user]
          + users.drift[user] * progress)
  noisy = mean + rng.normal(0, NOISE_SD, len(movie_ids))
  return np.clip(np.rint(noisy), MIN_RATING, MAX_RATING).astype(int)


def make_user_ratings(rng: np.random.Generator, users: Users, movies: Movies,
                      user: int, count: int) -> list[str]:
  """ratings.dat lines of one user, unordered in time like ml-1m's."""
  affinity = movies.factors @ users.factors[user]
  logits = movies.log_popularity + SELECTION_PER_AFFINITY * affinity
  movie_ids = rng.permutation(gumbel_top_k(rng, logits, count))
  timestamps = make_timestamps(rng, count)
  stars = rate(rng, users, movies, user, movie_ids)
  lines = [
      FIELD_SEPARATOR.join(map(str, (user + 1, movie + 1, star, timestamp)))
      for movie, star, timestamp in zip(movie_ids, stars, timestamps)
  ]
  return [lines[i] for i in rng.permutation(count)]


def user_lines(users: Users) -> list[str]:
  """users.dat lines: UserID::Gender::Age::Occupation::Zip-code."""
  return [
      FIELD_SEPARATOR.join(map(str, (
          i + 1, GENDERS[users.gender[i]], AGES[users.age[i]],
          users.occupation[i], users.zip_code[i])))
      for i in range(len(users.zip_code))
  ]


def movie_lines(movies: Movies) -> list[str]:
  """movies.dat lines: MovieID::Title (Year)::Genre|Genre."""
  return [
      FIELD_SEPARATOR.join((
          str(i + 1), f'{movies.title[i]} ({movies.year[i]})',
          GENRE_SEPARATOR.join(movies.genres[i])))
      for i in range(len(movies.title))
  ]


def write_lines(path: str, lines: Sequence[str]) -> None:
  """Writes ml-1m style: latin-1, '\\n' line ends on every platform."""
  with open(path, 'w', encoding=ENCODING, newline='\n') as f:
    f.writelines(line + '\n' for line in lines)


def write_sample(output_dir: str, num_users: int = DEFAULT_USERS,
                 num_movies: int = DEFAULT_MOVIES,
                 mean_ratings_per_user: float = DEFAULT_RATINGS_PER_USER,
                 seed: int = DEFAULT_SEED) -> None:
  """Writes the three ml-1m files; the same arguments give the same bytes."""
  if num_users < 1:
    raise ValueError('need at least 1 user')
  if not MIN_RATINGS_PER_USER <= num_movies <= MAX_MOVIES:
    raise ValueError(
        f'number of movies must be in [{MIN_RATINGS_PER_USER}, {MAX_MOVIES}]')
  if mean_ratings_per_user <= MIN_RATINGS_PER_USER:
    raise ValueError(
        f'mean ratings per user must exceed {MIN_RATINGS_PER_USER}')
  rng = np.random.default_rng(seed)
  users = make_users(rng, num_users)
  movies = make_movies(rng, num_movies)
  counts = rating_counts(rng, num_users, num_movies, mean_ratings_per_user)
  ratings = [line for user, count in enumerate(counts)
             for line in make_user_ratings(rng, users, movies, user, count)]
  os.makedirs(output_dir, exist_ok=True)
  write_lines(os.path.join(output_dir, 'ratings.dat'), ratings)
  write_lines(os.path.join(output_dir, 'users.dat'), user_lines(users))
  write_lines(os.path.join(output_dir, 'movies.dat'), movie_lines(movies))


def make_parser() -> argparse.ArgumentParser:
  """Flags for other sizes and seeds, e.g. tiny samples for tests."""
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--output-dir', required=True)
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
                 args.ratings_per_user, args.seed)
  except ValueError as e:
    parser.error(str(e))


if __name__ == '__main__':
  main()
