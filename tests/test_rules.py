"""Tests for components/ingestion/rules.py: a line in, a record or a rule."""

import pytest

from components.ingestion import rules

USER_IDS = frozenset({1, 2})
MOVIE_IDS = frozenset({10, 20})


def test_decode_line_reads_utf8_latin1_and_crlf():
  title = 'Misérables, Les (1995)'
  assert rules.decode_line(title.encode('utf-8') + b'\r\n') == title
  assert rules.decode_line(title.encode('latin-1') + b'\n') == title
  assert rules.decode_line(b'1::F::1::10::48067\r') == '1::F::1::10::48067'


def test_parse_user_keeps_fields_and_position():
  assert rules.parse_user(3, '2::M::56::16::98107-3245') == rules.User(
      user_id=2, gender='M', age=56, occupation=16, zip='98107-3245', line=3,
      text='2::M::56::16::98107-3245')


@pytest.mark.parametrize('text, rule', [
    ('', rules.EMPTY_LINE),
    ('  ', rules.EMPTY_LINE),
    ('1::F::1::10', rules.FIELD_COUNT),
    ('1\tF\t1\t10\t48067', rules.FIELD_COUNT),
    ('x::F::1::10::48067', rules.NON_NUMERIC),
    ('1::F::1.0::10::48067', rules.NON_NUMERIC),
    ('1::F:: 1::10::48067', rules.NON_NUMERIC),
    ('1::X::1::10::48067', rules.BAD_GENDER),
    ('1::f::1::10::48067', rules.BAD_GENDER),
    ('1::F::2::10::48067', rules.BAD_AGE),
    ('1::F::1::21::48067', rules.BAD_OCCUPATION),
    ('1::F::1::-1::48067', rules.BAD_OCCUPATION),
    ('1::F::1::10::', rules.BAD_ZIP),
    ('1::F::1::10::480,67', rules.BAD_ZIP),
])
def test_parse_user_rejects(text, rule):
  with pytest.raises(rules.Rejected) as rejected:
    rules.parse_user(1, text)
  assert rejected.value.rule == rule


def test_parse_movie_takes_the_year_from_the_title():
  movie = rules.parse_movie(7, '12::Misérables, Les (1995)::Drama|Musical')
  assert (movie.movie_id, movie.year, movie.genres, movie.line) == (
      12, 1995, 'Drama|Musical', 7)


def test_parse_movie_leaves_unknown_genre_names_to_the_schema():
  movie = rules.parse_movie(1, '1::Toy Story (1995)::Animation|Vlog')
  assert movie.genres == 'Animation|Vlog'


@pytest.mark.parametrize('text, rule', [
    ('', rules.EMPTY_LINE),
    ('1::Toy Story (1995)', rules.FIELD_COUNT),
    ('1::Toy Story (1995)::Comedy::Extra', rules.FIELD_COUNT),
    ('x1::Toy Story (1995)::Comedy', rules.NON_NUMERIC),
    ('1::Toy Story::Comedy', rules.BAD_TITLE),
    ('1::Toy Story (95)::Comedy', rules.BAD_TITLE),
    ('1::Toy Story (1995) extended::Comedy', rules.BAD_TITLE),
    ('1::Toy Story (1995)::', rules.BAD_GENRES),
    ('1::Toy Story (1995)::Comedy,Drama', rules.BAD_GENRES),
    ('1::Toy Story (1995)::Comedy||Drama', rules.BAD_GENRES),
    ('1::Toy Story (1995)::Comedy|', rules.BAD_GENRES),
    ('1::Toy Story (1995)::' + '|'.join(['Drama'] * 7), rules.BAD_GENRES),
])
def test_parse_movie_rejects(text, rule):
  with pytest.raises(rules.Rejected) as rejected:
    rules.parse_movie(1, text)
  assert rejected.value.rule == rule


def test_parse_rating_keeps_fields_and_position():
  assert rules.parse_rating(
      5, '1::10::4::978300760', USER_IDS, MOVIE_IDS) == rules.Rating(
          user_id=1, movie_id=10, rating=4, timestamp=978300760, line=5,
          text='1::10::4::978300760')


@pytest.mark.parametrize('text, rule', [
    ('', rules.EMPTY_LINE),
    ('1::10::4', rules.FIELD_COUNT),
    ('1::10::4::978300760::1', rules.FIELD_COUNT),
    ('1::10::3.5::978300760', rules.NON_NUMERIC),
    ('1::10::abc::978300760', rules.NON_NUMERIC),
    ('1::10::4::9.7e8', rules.NON_NUMERIC),
    ('1::10::0::978300760', rules.RATING_RANGE),
    ('1::10::6::978300760', rules.RATING_RANGE),
    ('1::10::4::-1', rules.NEGATIVE_TIMESTAMP),
    ('3::10::4::978300760', rules.UNKNOWN_USER),
    ('1::30::4::978300760', rules.UNKNOWN_MOVIE),
])
def test_parse_rating_rejects(text, rule):
  with pytest.raises(rules.Rejected) as rejected:
    rules.parse_rating(1, text, USER_IDS, MOVIE_IDS)
  assert rejected.value.rule == rule


def test_keep_first_keeps_the_earliest_line_whatever_the_input_order():
  ratings = [
      rules.Rating(1, 10, 2, 300, line=9, text='later'),
      rules.Rating(1, 20, 3, 200, line=5, text='other movie'),
      rules.Rating(1, 10, 5, 100, line=2, text='first'),
  ]
  kept, later = rules.keep_first(ratings, key=lambda rating: rating.movie_id)
  assert [rating.text for rating in kept] == ['first', 'other movie']
  assert [rating.text for rating in later] == ['later']


@pytest.mark.parametrize('head, message', [
    (b'', 'empty file'),
    (b'\n\n', 'empty file'),
    (b'1\t1193\t5\t978300760\n', "not separated by '::'"),
    (b'1,1193,5,978300760\n', "not separated by '::'"),
])
def test_check_file_head_names_the_file_and_the_rule(head, message):
  with pytest.raises(rules.IngestionError, match=message) as error:
    rules.check_file_head('/data/ratings.dat', head)
  assert '/data/ratings.dat' in str(error.value)
  assert '\n' not in str(error.value)


def test_check_file_head_accepts_ml1m_lines():
  rules.check_file_head('/data/ratings.dat', b'1::1193::5::978300760\n')
