"""`ytdnn validate`: the ingestion's line rules over raw files, without Beam."""

import pytest

from cli import main
from components.ingestion import rules
from components.ingestion import validate
from contract import formats

USERS = '1::F::1::10::48067\n2::M::56::16::98107-3245\n'
MOVIES = ('1::Toy Story (1995)::Animation|Comedy\n'
          '2::Amélie (2001)::Comedy|Romance\n')
RATINGS = '1::1::5::978300760\n1::2::3::978300761\n2::1::4::978300762\n'


def _write(directory, ratings=RATINGS, users=USERS, movies=MOVIES,
           movies_encoding='latin-1', newline='\n'):
  for name, text, encoding in (('ratings.dat', ratings, 'ascii'),
                               ('users.dat', users, 'ascii'),
                               ('movies.dat', movies, movies_encoding)):
    (directory / name).write_bytes(
        text.replace('\n', newline).encode(encoding))
  return str(directory)


def test_clean_data_in_latin_1_utf_8_or_crlf_has_no_rejects(tmp_path):
  for i, (encoding, newline) in enumerate(
      (('latin-1', '\n'), ('utf-8', '\n'), ('latin-1', '\r\n'))):
    directory = tmp_path / str(i)
    directory.mkdir()
    result = validate.validate(_write(directory, movies_encoding=encoding,
                                      newline=newline))
    assert result.rejects == []
    assert result.lines_read == {'users.dat': 2, 'movies.dat': 2,
                                 'ratings.dat': 3}


def test_each_bad_line_is_rejected_with_file_line_and_rule(tmp_path):
  ratings = RATINGS + ('1::1::4::978300799\n'   # duplicate pair (line 4)
                       '1::2::3.5::1\n'         # non-numeric (5)
                       '1::2::0::1\n'           # rating range (6)
                       '2::2::5::-4\n'          # negative timestamp (7)
                       '9::1::5::1\n'           # unknown user (8)
                       '1::9::5::1\n'           # unknown movie (9)
                       '1::2\n'                 # field count (10)
                       '\n'                     # empty line (11)
                       '2::2::4::978300770')    # no final newline: valid (12)
  users = USERS + '3::X::1::1::1\n4::M::2::1::1\n5::M::1::21::1\n'
  result = validate.validate(_write(tmp_path, ratings=ratings, users=users))
  found = {(r.file, r.line, r.rule) for r in result.rejects}
  assert found == {
      ('ratings.dat', 4, rules.DUPLICATE_PAIR),
      ('ratings.dat', 5, rules.NON_NUMERIC),
      ('ratings.dat', 6, rules.RATING_RANGE),
      ('ratings.dat', 7, rules.NEGATIVE_TIMESTAMP),
      ('ratings.dat', 8, rules.UNKNOWN_USER),
      ('ratings.dat', 9, rules.UNKNOWN_MOVIE),
      ('ratings.dat', 10, rules.FIELD_COUNT),
      ('ratings.dat', 11, rules.EMPTY_LINE),
      ('users.dat', 3, rules.BAD_GENDER),
      ('users.dat', 4, rules.BAD_AGE),
      ('users.dat', 5, rules.BAD_OCCUPATION),
  }


@pytest.mark.parametrize('problem, expected', [
    ('missing', 'holds no MovieLens release'),
    ('empty', 'ratings.dat: empty file'),
    ('tabs', "ratings.dat: not separated by '::'"),
])
def test_a_bad_file_is_one_error_naming_it(tmp_path, problem, expected):
  _write(tmp_path)
  ratings = tmp_path / 'ratings.dat'
  if problem == 'missing':
    ratings.unlink()
  elif problem == 'empty':
    ratings.write_text('')
  else:
    ratings.write_text(RATINGS.replace('::', '\t'))
  with pytest.raises(rules.IngestionError, match=expected):
    validate.validate(str(tmp_path))


def test_cli_exit_status_follows_the_reject_share(tmp_path, capsys):
  data_dir = _write(tmp_path, ratings=RATINGS + '1::2\n')
  assert main.main(['validate', '--data-dir', data_dir,
                    '--max-reject-share', '0.5']) == 0
  out = capsys.readouterr().out
  assert 'ratings.dat:4: field_count: 1::2' in out
  assert 'the data is usable' in out
  assert main.main(['validate', '--data-dir', data_dir,
                    '--max-reject-share', '0.01']) == 1
  assert 'the data is not usable' in capsys.readouterr().err


def test_cli_names_a_missing_file_in_one_line(tmp_path, capsys):
  assert main.main(['validate', '--data-dir', str(tmp_path)]) == 1
  err = capsys.readouterr().err.strip()
  assert err.startswith(
      f'ytdnn validate: {tmp_path}: holds no MovieLens release; each format '
      'needs its files (ml-1m: ratings.dat, movies.dat, users.dat;')
  assert '\n' not in err


def test_ml_10m_lines_are_held_to_the_same_rules_on_half_stars(tmp_path):
  (tmp_path / 'movies.dat').write_text(
      '1::Toy Story (1995)::Children|Comedy\n2::Heat (1995)::IMAX\n')
  (tmp_path / 'ratings.dat').write_text(
      '1::1::5::838985046\n'       # a whole star, as ml-10m writes it
      '1::2::3.5::838985047\n'     # a half star
      '1::2::4::838985048\n'       # duplicate pair (line 3)
      '2::1::4.25::1\n'            # off the half-star scale (4)
      '2::2::0::1\n'               # below the scale (5)
      '2::3::4::1\n'               # unknown movie (6)
      '3::1::4,5::1\n')            # non-numeric (7)
  records = validate.read_valid_records(str(tmp_path))
  assert records.data_format == formats.ML_10M
  assert records.users == []
  assert [rating.rating for rating in records.ratings] == [5.0, 3.5]
  assert {(r.file, r.line, r.rule) for r in records.validation.rejects} == {
      ('ratings.dat', 3, rules.DUPLICATE_PAIR),
      ('ratings.dat', 4, rules.RATING_RANGE),
      ('ratings.dat', 5, rules.RATING_RANGE),
      ('ratings.dat', 6, rules.UNKNOWN_MOVIE),
      ('ratings.dat', 7, rules.NON_NUMERIC),
  }


def test_csv_lines_are_held_to_the_same_rules_past_their_header(tmp_path):
  (tmp_path / 'movies.csv').write_text(
      'movieId,title,genres\n'
      '11,"American President, The (1995)",Comedy|Drama|Romance\n'
      '209171,Heat (1995),(no genres listed)\n'
      '12,"Unclosed quote (1995),Drama\n'          # field count (line 4)
      '13,No Year,Drama\n')                         # bad title (5)
  (tmp_path / 'ratings.csv').write_text(
      'userId,movieId,rating,timestamp\n'
      '1,11,4.0,1147880044\n'
      '1,209171,0.5,1147880045\n'
      '1,12,5.5,1\n'                               # above the scale (line 4)
      '1,11,3.0,2\n'                               # duplicate pair (5)
      '2,11,3.0\n')                                # field count (6)
  records = validate.read_valid_records(str(tmp_path))
  assert records.data_format == formats.CSV
  assert [movie.title for movie in records.movies] == [
      'American President, The (1995)', 'Heat (1995)']
  assert records.validation.lines_read == {'movies.csv': 5, 'ratings.csv': 6}
  assert {(r.file, r.line, r.rule) for r in records.validation.rejects} == {
      ('movies.csv', 4, rules.FIELD_COUNT),
      ('movies.csv', 5, rules.BAD_TITLE),
      ('ratings.csv', 4, rules.RATING_RANGE),
      ('ratings.csv', 5, rules.DUPLICATE_PAIR),
      ('ratings.csv', 6, rules.FIELD_COUNT),
  }
