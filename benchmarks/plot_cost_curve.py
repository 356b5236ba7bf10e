"""Draws the cost curve's points (benchmarks/cost_curve.py) as two SVG charts for docs/.

  .venv/bin/python -m benchmarks.plot_cost_curve

Reads every benchmarks/results/scale_csv_<ratings>.json and writes
docs/cost_curve_seconds.svg (seconds per million ratings of each stage
against the ratings) and docs/cost_curve_memory.svg (peak RSS against the
ratings). A flat line in the first is a stage whose cost grows linearly.
The charts are reporting/charts.py's, so no plotting library is needed.
"""

import glob
import json
import os
import re

from reporting import charts

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(REPO, 'benchmarks', 'results')
DOCS = os.path.join(REPO, 'docs')
POINT_FILE = re.compile(r'scale_csv_(\d+)\.json$')

# The pipeline's components in four stages, so the chart stays readable:
# ingestion, statistics and Transform; the two retrieval Trainers; the
# ranking Trainer; the impression lists and the three evaluators.
STAGES = {
    'data': ('MovieLensIngestion', 'StatisticsGen', 'Transform'),
    'retrieval': ('ImpressionRetrievalTrainer', 'RetrievalTrainer'),
    'ranking': ('Trainer',),
    'impr.+eval': ('ImpressionGen', 'RetrievalEvaluator', 'Evaluator',
                         'TwoStageEvaluator'),
}


def read_points() -> list[dict]:
  """The curve's points, fewest ratings first."""
  points = []
  for path in glob.glob(os.path.join(RESULTS, 'scale_csv_*.json')):
    match = POINT_FILE.search(path)
    if match:
      with open(path) as file:
        points.append({'ratings': int(match.group(1)), **json.load(file)})
  return sorted(points, key=lambda point: point['ratings'])


def stage_seconds_per_million(point: dict) -> dict[str, float]:
  """Each stage's seconds per million ratings, and the whole pipeline's."""
  millions = point['ratings'] / 1e6
  per_stage = {stage: sum(point['component_s'].get(name, 0.0)
                          for name in names) / millions
               for stage, names in STAGES.items()}
  return {**per_stage, 'whole run': point['pipeline_wall_s'] / millions}


def main() -> None:
  points = read_points()
  if not points:
    raise SystemExit(f'no scale_csv_<ratings>.json in {RESULTS}')
  millions = [point['ratings'] / 1e6 for point in points]
  x_range = (0.0, charts.nice_max(max(millions)))
  seconds = [stage_seconds_per_million(point) for point in points]
  series = {stage: list(zip(millions, (row[stage] for row in seconds)))
            for stage in seconds[0]}
  top = max(value for row in seconds for value in row.values())
  memory = {'peak RSS': [(m, point['peak_rss_mb'] / 1024)
                         for m, point in zip(millions, points)]}
  charts_to_write = {
      'cost_curve_seconds.svg': charts.line_chart(
          'Seconds per million ratings, by stage', series, x_range,
          (0.0, charts.nice_max(top)), 'million synthetic ratings',
          's / M ratings'),
      'cost_curve_memory.svg': charts.line_chart(
          'Peak RSS of the whole pipeline', memory, x_range,
          (0.0, charts.nice_max(max(y for _, y in memory['peak RSS']))),
          'million synthetic ratings', 'GiB'),
  }
  for name, svg in charts_to_write.items():
    with open(os.path.join(DOCS, name), 'w') as file:
      file.write(svg + '\n')
    print('wrote ' + os.path.join(DOCS, name))


if __name__ == '__main__':
  main()
