"""The cost curve's charts: every stage's seconds per million ratings, nothing dropped."""

import pytest

from benchmarks import plot_cost_curve


def test_a_stage_sums_its_components_per_million_ratings():
  point = {'ratings': 2_000_000, 'pipeline_wall_s': 900.0,
           'component_s': {'MovieLensIngestion': 100.0, 'Transform': 60.0,
                           'Trainer': 400.0}}
  seconds = plot_cost_curve.stage_seconds_per_million(point)
  assert seconds['data'] == pytest.approx(80.0)
  assert seconds['ranking'] == pytest.approx(200.0)
  assert seconds['retrieval'] == 0.0
  assert seconds['whole run'] == pytest.approx(450.0)


@pytest.mark.parametrize('point', plot_cost_curve.read_points(),
                         ids=lambda point: str(point['ratings']))
def test_every_measured_component_that_takes_time_is_in_a_stage(point):
  staged = {name for names in plot_cost_curve.STAGES.values()
            for name in names}
  left_out = {name: seconds for name, seconds in point['component_s'].items()
              if name not in staged and seconds >= 1.0}
  assert not left_out
