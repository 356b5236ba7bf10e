"""Tests for components/ingestion/report.py: the counts and the reject gate."""

import pytest

from components.ingestion import report
from components.ingestion import rules

REJECTS_LOCATION = '/out/rejects/rejects-*.tsv'


def _report(rule_counts: dict[str, int]) -> dict:
  return report.build_report(
      'ml-1m', 'temporal', 50, 20,
      {'ratings.dat': 900, 'users.dat': 60, 'movies.dat': 40},
      rule_counts,
      {rule: ('ratings.dat', 10 + count) for rule, count in rule_counts.items()},
      {'train': 800})


def test_report_lists_every_file_rule_and_split():
  built = _report({rules.RATING_RANGE: 3})
  assert built['lines_read'] == {
      'ratings.dat': 900, 'users.dat': 60, 'movies.dat': 40}
  assert set(built['rejects']) == set(rules.RULES)
  assert built['rejects'][rules.RATING_RANGE] == 3
  assert built['rejected_lines'] == 3
  assert built['first_rejects'] == {
      rules.RATING_RANGE: {'file': 'ratings.dat', 'line': 13}}
  assert built['rows'] == {'train': 800, 'eval': 0}


def test_share_at_the_limit_passes():
  report.check_reject_share(_report({rules.RATING_RANGE: 10}), 0.01,
                            REJECTS_LOCATION)


def test_share_above_the_limit_fails_with_the_top_rules():
  counts = {rules.RATING_RANGE: 6, rules.FIELD_COUNT: 4, rules.BAD_AGE: 1,
            rules.EMPTY_LINE: 1}
  with pytest.raises(rules.IngestionError) as error:
    report.check_reject_share(_report(counts), 0.01, REJECTS_LOCATION)
  message = str(error.value)
  assert 'Rejected 12 of 1000 lines read (1.20%)' in message
  assert 'max_reject_share 1.00%' in message
  assert ('rating_range=6 (first: ratings.dat line 16), field_count=4 '
          '(first: ratings.dat line 14), bad_age=1 (first: ratings.dat line '
          '11)') in message
  assert 'empty_line' not in message
  assert REJECTS_LOCATION in message
