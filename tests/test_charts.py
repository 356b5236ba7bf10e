"""The report's inline SVG charts."""

import re
import xml.etree.ElementTree as ElementTree

from reporting import charts

SVG = '{http://www.w3.org/2000/svg}'


def test_bar_chart_draws_one_bar_per_finite_value_scaled_to_a_round_top():
  chart = charts.bar_chart(
      'By age', ['1', '18', '25'],
      {'rmse': [0.9, 1.0, float('nan')], 'auc': [0.7, 0.75, 0.8]},
      'metric value', 'age')
  root = ElementTree.fromstring(chart)
  bars = [rect for rect in root.iter(f'{SVG}rect') if rect.find(
      f'{SVG}title') is not None]
  assert [bar.find(f'{SVG}title').text for bar in bars] == [
      'rmse, 1: 0.9', 'rmse, 18: 1', 'auc, 1: 0.7', 'auc, 18: 0.75',
      'auc, 25: 0.8']
  plot_height = (charts.HEIGHT - charts.MARGIN_TOP -
                 charts.MARGIN_BOTTOM)
  # The axis top is 1, so a value of 1 spans the whole plot height.
  assert float(bars[1].get('height')) == plot_height
  assert root.get('aria-label') == 'By age'


def test_line_chart_places_points_in_the_plot_and_draws_the_diagonal():
  chart = charts.line_chart(
      'Calibration', {'liked': [(0.0, 0.0), (1.0, 1.0)]}, (0.0, 1.0),
      (0.0, 1.0), 'predicted', 'actual', diagonal=True)
  root = ElementTree.fromstring(chart)
  circles = list(root.iter(f'{SVG}circle'))
  assert [(float(c.get('cx')), float(c.get('cy'))) for c in circles] == [
      (charts.MARGIN_LEFT, charts.HEIGHT - charts.MARGIN_BOTTOM),
      (charts.WIDTH - charts.MARGIN_RIGHT, charts.MARGIN_TOP)]
  assert len(list(root.iter(f'{SVG}polyline'))) == 2


def test_histogram_strip_scales_bars_to_the_largest_count():
  strip = charts.histogram_strip([1, 4, 2], width=30, height=20)
  heights = [float(h) for h in re.findall(r'height="([0-9.]+)" fill', strip)]
  assert heights == [5.0, 20.0, 10.0]
