"""contract/formats.py: rating scales and recognizing a directory's format."""

import pytest

from contract import formats


def test_the_scales_values_and_stars_classes():
  assert formats.WHOLE_STARS.num_values == 5
  assert formats.HALF_STARS.num_values == 10
  assert formats.WHOLE_STARS.whole_stars
  assert not formats.HALF_STARS.whole_stars
  assert [formats.HALF_STARS.index(r) for r in (0.5, 1.0, 4.5, 5.0)] == [
      0, 1, 8, 9]
  assert [formats.WHOLE_STARS.index(r) for r in (1, 5)] == [0, 4]


@pytest.mark.parametrize('rating, on_half_stars, on_whole_stars', [
    (0.5, True, False), (3.5, True, False), (4.0, True, True),
    (5, True, True), (0, False, False), (5.5, False, False),
    (4.25, False, False),
])
def test_a_scale_holds_only_its_values(rating, on_half_stars,
                                       on_whole_stars):
  assert formats.HALF_STARS.holds(rating) == on_half_stars
  assert formats.WHOLE_STARS.holds(rating) == on_whole_stars


def test_a_format_is_recognized_by_the_files_it_needs():
  assert formats.recognize({'ratings.dat', 'movies.dat', 'users.dat',
                            'README'}, 'd') == formats.ML_1M
  assert formats.recognize({'ratings.dat', 'movies.dat', 'tags.dat'},
                           'd') == formats.ML_10M
  assert formats.recognize({'ratings.csv', 'movies.csv', 'links.csv'},
                           'd') == formats.CSV
  with pytest.raises(formats.UnknownFormat, match='d: holds no MovieLens'):
    formats.recognize({'ratings.csv'}, 'd')


def test_every_release_has_one_format():
  releases = [release for data_format in formats.FORMATS.values()
              for release in data_format.releases]
  assert releases == ['ml-1m', 'ml-10m', 'ml-20m', 'ml-25m', 'ml-32m']


def test_only_the_csv_files_have_headers():
  assert formats.CSV.header('ratings.csv') == 'userId,movieId,rating,timestamp'
  assert formats.CSV.header('movies.csv') == 'movieId,title,genres'
  assert formats.ML_10M.header('ratings.dat') is None


def test_an_unknown_name_lists_the_formats():
  with pytest.raises(ValueError, match="one of \\['ml-1m', 'ml-10m', 'csv'\\]"):
    formats.by_name('ml-100k')
