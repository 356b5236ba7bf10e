"""The cost curve's point: its sample's shape and the disk it checks for first."""

import re
import shutil

import pytest

from benchmarks import cost_curve


def test_the_sample_grows_users_with_the_ratings_and_movies_with_their_root():
  assert cost_curve.sample_shape(1_000_000) == {'users': 6993,
                                                'movies': 10_000}
  assert cost_curve.sample_shape(4_000_000) == {'users': 27972,
                                                'movies': 20_000}


def test_a_point_the_disk_cannot_hold_is_refused_before_it_starts(tmp_path):
  free_gb = shutil.disk_usage(tmp_path).free / 2**30
  too_many = int(2 * free_gb / cost_curve.DISK_GB_PER_MILLION_RATINGS * 1e6)
  point_dir = str(tmp_path / 'work' / str(too_many))
  with pytest.raises(SystemExit, match=re.escape(f'{tmp_path} has ')):
    cost_curve.check_free_disk(point_dir, too_many)
  cost_curve.check_free_disk(point_dir, 1_000)
