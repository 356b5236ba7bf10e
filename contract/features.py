"""The one home of every column and feature name.

The ingestion component writes these columns, the curated schema describes them,
the Transform reads them and the Trainer, Evaluator and serving signatures use
the transformed names. Changing a name here is the whole change.
"""

# Raw ml-1m fields carried into the ingested examples.
USER_ID = 'user_id'
MOVIE_ID = 'movie_id'
RATING = 'rating'
TIMESTAMP = 'timestamp'
GENDER = 'gender'
AGE = 'age'
OCCUPATION = 'occupation'
ZIP = 'zip'
MOVIE_YEAR = 'movie_year'
# A movie's genres, one column per position, left to right as movies.dat lists
# them, empty past the last. One value per cell lets the schema give every
# genre the domain of ml-1m's 18, so a new genre is an anomaly; a '|'-joined
# cell could only be checked against whole combinations.
MAX_GENRES = 6
GENRE_COLUMNS = tuple(f'genre_{position}'
                      for position in range(1, MAX_GENRES + 1))

# Context features computed by the ingestion from strictly earlier ratings only.
HISTORY = 'history'
# The ratings the user gave the `history` movies, in the same order, or
# UNKNOWN_RATING. Earlier ratings are known before the example's own, and how
# a user rated their latest movies predicts the next rating better than their
# all-time mean.
HISTORY_RATINGS = 'history_ratings'
# The value `history_ratings` holds for an earlier rating that is in the eval
# split (BENCHMARKS.md): its movie stays in `history`, its value is unknown.
# Never a rating (ratings are 1..5), so every reader can tell it apart.
UNKNOWN_RATING = 0
USER_RATING_COUNT = 'user_rating_count'
SECONDS_SINCE_PREVIOUS = 'seconds_since_previous'
MOVIE_RATING_COUNT = 'movie_rating_count'
# The movie's side of the history: the users who rated the example's movie
# before the example's second, newest last. SVD++ "flipped" reads a movie's
# raters as it reads a user's history.
MOVIE_RATERS = 'movie_raters'
# The features that hold a list of ints each, oldest first; every other
# feature holds one value. As int64 lists rather than text a serving graph
# parses them without splitting and converting text: requests of 100
# examples took 0.58 ms p50 against 0.89 ms to parse and look up these
# three alone (ad-hoc benchmark, load 0.5).
LIST_FEATURES = (HISTORY, HISTORY_RATINGS, MOVIE_RATERS)

# Evaluation-only columns TFMA slices by, derived by the ingestion from the
# columns above (the counts bucketed by the fixed boundaries at the end of
# this file), so they leak no more than those do. The model does not read them.
USER_ACTIVITY_BUCKET = 'user_activity_bucket'
MOVIE_POPULARITY_BUCKET = 'movie_popularity_bucket'
EVALUATION_ONLY_COLUMNS = (USER_ACTIVITY_BUCKET, MOVIE_POPULARITY_BUCKET)
# TFMA slices on one value per example: the genre slice is the first genre
# movies.dat lists for the movie.
FIRST_GENRE = GENRE_COLUMNS[0]

# The user's demographics, from ml-1m's users.dat: absent from the examples
# of a format without a users file (contract/formats.py), and then from the
# schema, the Transform's outputs and both models' inputs.
DEMOGRAPHIC_FEATURES = (GENDER, AGE, OCCUPATION, ZIP)

# Every feature of an ingested example, label included.
RAW_FEATURES = (
    USER_ID, MOVIE_ID, RATING, TIMESTAMP, GENDER, AGE, OCCUPATION, ZIP,
    *GENRE_COLUMNS, MOVIE_YEAR, HISTORY, HISTORY_RATINGS, USER_RATING_COUNT,
    SECONDS_SINCE_PREVIOUS, MOVIE_RATING_COUNT, MOVIE_RATERS,
    *EVALUATION_ONLY_COLUMNS,
)
# The features that depend on an example's movie alone; the rest are the
# rating's and its user's.
MOVIE_FEATURES = (MOVIE_ID, *GENRE_COLUMNS, MOVIE_YEAR, MOVIE_RATING_COUNT,
                  MOVIE_RATERS, MOVIE_POPULARITY_BUCKET)

# The separator of movies.dat's genres.
GENRE_SEPARATOR = '|'

# The raw label column; every other column is a serving-time feature.
RAW_LABEL = RATING

# An example's place in its user's sequence: the raw USER_RATING_COUNT, which
# the Transform normalizes away. The retrieval Trainer keeps it beside the
# transformed features to lay the examples out as sequences.
SEQUENCE_POSITION = 'sequence_position'

# Transformed feature names (outputs of transforms.preprocessing.preprocessing_fn).
USER_INDEX = 'user_index'
MOVIE_INDEX = 'movie_index'
HISTORY_INDICES = 'history_indices'
HISTORY_RATING_VALUES = 'history_rating_values'
RATER_INDICES = 'rater_indices'
GENDER_INDEX = 'gender_index'
AGE_INDEX = 'age_index'
OCCUPATION_INDEX = 'occupation_index'
ZIP_PREFIX_INDEX = 'zip_prefix_index'
# The demographics' transformed indices, absent with the demographics.
DEMOGRAPHIC_INDICES = (GENDER_INDEX, AGE_INDEX, OCCUPATION_INDEX,
                       ZIP_PREFIX_INDEX)
GENRE_INDICES = 'genre_indices'

# Continuous inputs, each expanded by the Transform into x, x**2 and sqrt(x).
CONTINUOUS_FEATURES = (
    USER_RATING_COUNT, SECONDS_SINCE_PREVIOUS, MOVIE_RATING_COUNT, MOVIE_YEAR,
)
EXAMPLE_AGE = 'example_age'
CONTINUOUS_POWERS = ('', '_squared', '_sqrt')


def continuous_feature_names() -> list[str]:
  """Names of the normalized continuous inputs the model reads."""
  return [
      f'{name}{power}'
      for name in CONTINUOUS_FEATURES + (EXAMPLE_AGE,)
      for power in CONTINUOUS_POWERS
  ]


# Vocabulary file names written by the Transform. The movie vocabulary is shared
# by the target movie and the history so both look up one embedding table, the
# user vocabulary by the user and the movie's raters.
MOVIE_VOCABULARY = 'movie'
USER_VOCABULARY = 'user'
GENRE_VOCABULARY = 'genre'
ZIP_PREFIX_VOCABULARY = 'zip_prefix'

# Labels derived in the Transform graph from the raw rating.
RATING_LABEL = 'rating_label'
STARS_LABEL = 'stars_label'
LIKED_LABEL = 'liked_label'
LIKED_MIN_RATING = 4

# Model heads. No head's name may be a prefix of another's: TFMA 0.47 files
# metrics under an output by name prefix.
RATING_HEAD = 'rating'
STARS_HEAD = 'stars'
LIKED_HEAD = 'liked'
HEADS = (RATING_HEAD, STARS_HEAD, LIKED_HEAD)

# What a retrieval request carries: the user's side only, no candidate movie.
# Example age is not among them: the model sets it to 0 at serving, as the
# paper does. `excluded_movie_ids` lists movies the answer must leave out.
RETRIEVAL_REQUEST_FEATURES = (GENDER, AGE, OCCUPATION, ZIP, HISTORY,
                              HISTORY_RATINGS, USER_RATING_COUNT,
                              SECONDS_SINCE_PREVIOUS)
EXCLUDED_MOVIE_IDS = 'excluded_movie_ids'
# Outputs of the retrieval model's serving signature, best movie first.
RETRIEVED_MOVIE_IDS = 'movie_ids'
RETRIEVAL_SCORES = 'scores'

# A list of candidates the ranking stage orders (components/impression_gen.py
# writes them for training; the ranking model's `rank` signature takes them):
# the request's user, time and history come from the request's own features,
# the candidates' movie ids and retrieval scores, best first, from here.
CANDIDATE_MOVIE_IDS = 'candidate_movie_ids'
CANDIDATE_SCORES = 'candidate_retrieval_scores'
# Of a training list only: whether each candidate counts (false for a movie
# the user rates later, not a negative, and for an empty slot), and the
# rated movie's place in the list, or NO_TARGET when retrieval missed it.
CANDIDATE_SHOWN = 'candidate_shown'
TARGET_PLACE = 'target_place'
NO_TARGET = -1
# The ranking model's ordering score of each candidate: the logit of "the
# user rates this one next among those shown".
ENGAGEMENT_HEAD = 'engagement'

# How `ytdnn recommend` orders the retrieved movies (serving/recommend.py).
ORDER_BY_ENGAGEMENT = 'engagement'
ORDER_BY_RETRIEVAL = 'retrieval'
ORDER_BY_LIKED = 'liked'
RECOMMEND_ORDERINGS = (ORDER_BY_ENGAGEMENT, ORDER_BY_RETRIEVAL,
                       ORDER_BY_LIKED)

# Features TFMA slices the evaluation by.
SLICE_FEATURES = (GENDER, AGE, OCCUPATION, FIRST_GENRE,
                  USER_ACTIVITY_BUCKET, MOVIE_POPULARITY_BUCKET)

# Fixed lower bounds of the evaluation's user-activity and movie-popularity
# slices (after the implicit 0), applied to the leak-free earlier-rating counts.
# Fixed rather than learned from the data, so a slice means the same in every
# run and nothing about the eval split shapes it.
USER_ACTIVITY_BOUNDARIES = (10, 50, 200)
MOVIE_POPULARITY_BOUNDARIES = (10, 100, 1000)
