"""`ytdnn report`: one static HTML page of a run's data and evaluation.

Everything comes from the run's artifacts as ML Metadata records them, and the
page loads nothing: no script at all, styles inline, charts as inline SVG.
TFDV's own HTML (`get_statistics_html`) is not used because it loads Facets
from the web through HTML imports, which Chromium dropped long ago; the
statistics are drawn here as tables from the same statistics protos.
"""

import os

from contract import paths
from reporting import data_sections
from reporting import evaluation_sections
from reporting import page
from reporting import run_record
from reporting import tfma_results


def build_report(metadata_path: str, run_id: str = run_record.LATEST) -> str:
  """The whole page of a run of the store, as HTML text."""
  run = run_record.read_run(metadata_path, run_id)
  evaluation_data = tfma_results.read_run_evaluation(run)
  bodies = {
      'overview': data_sections.overview_section(run, metadata_path),
      'statistics': data_sections.statistics_section(run),
      'anomalies': data_sections.anomalies_section(run),
      'rejects': data_sections.rejects_section(run),
      'retrieval': evaluation_sections.retrieval_section(
          evaluation_sections.retrieval_dir(run)),
      'two_stage': evaluation_sections.two_stage_section(
          evaluation_sections.two_stage_dir(run),
          run.blessed(paths.TWO_STAGE_EVALUATOR)),
  }
  if evaluation_data is None:
    for section in ('metrics', 'plots', 'baseline'):
      bodies[section] = page.missing('The Evaluator did not run in this run.')
  else:
    bodies['metrics'] = evaluation_sections.metrics_section(evaluation_data)
    bodies['plots'] = evaluation_sections.plots_section(
        evaluation_data, run.data_format().rating_scale)
    bodies['baseline'] = evaluation_sections.baseline_section(
        run, evaluation_data)
  return page.page(run.run_id, bodies)


def write_report(metadata_path: str, output_path: str,
                 run_id: str = run_record.LATEST) -> str:
  """Writes the page of a run and returns its absolute path."""
  text = build_report(metadata_path, run_id)
  output_path = os.path.abspath(output_path)
  os.makedirs(os.path.dirname(output_path), exist_ok=True)
  with open(output_path, 'w', encoding='utf-8') as file:
    file.write(text)
  return output_path
