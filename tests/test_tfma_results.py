"""tfma_results, the one reader of the Evaluator's TFMA output.

The closing summary and the HTML report show the same evaluation; each
reading the artifact itself let them drift apart (which artifact, which
loader, which fields), so the sources are checked for any other reader.
"""

import ast
import os

import pytest

from conftest import REPO
from contract import features
from contract import paths
from reporting import html_report
from reporting import run_record
from reporting import summary
from reporting import tfma_results

REPORTING = os.path.join(REPO, 'reporting')
# Readers of an evaluation's files: TFMA's and tfma_results's own.
LOADERS = frozenset({'load_metrics', 'load_plots', 'load_validation_result',
                     'load_eval_result', 'load_eval_run', 'load_evaluation'})
EVALUATION_OUTPUT = ['paths.EVALUATOR', "'evaluation'"]
RMSE = (features.RATING_HEAD, 'root_mean_squared_error')


def own_reads(source: str) -> list[str]:
  """Where a module reads the Evaluator's output itself, as text."""
  found = []
  for node in ast.walk(ast.parse(source)):
    if not (isinstance(node, ast.Call) and
            isinstance(node.func, ast.Attribute)):
      continue
    if node.func.attr in LOADERS:
      found.append(f'line {node.lineno}: calls {node.func.attr}')
    elif node.func.attr == 'output' and [
        ast.unparse(arg) for arg in node.args] == EVALUATION_OUTPUT:
      found.append(f"line {node.lineno}: looks up the Evaluator's evaluation")
  return found


@pytest.mark.parametrize('name', sorted(
    name for name in os.listdir(REPORTING)
    if name.endswith('.py') and name != 'tfma_results.py'))
def test_no_other_reporting_module_reads_the_evaluators_output(name):
  with open(os.path.join(REPORTING, name), encoding='utf-8') as file:
    assert own_reads(file.read()) == []


def test_a_second_reader_is_caught():
  assert own_reads(
      "evaluation = run.output(paths.EVALUATOR, 'evaluation')\n"
      'results = tfma_results.load_evaluation(evaluation.uri)\n') == [
          "line 1: looks up the Evaluator's evaluation",
          'line 2: calls load_evaluation']


def test_the_summary_and_the_report_show_what_the_reader_read(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  metadata_path = paths.metadata_path(run.output_dir)
  evaluation = tfma_results.read_run_evaluation(
      run_record.read_run(metadata_path))
  rmse = evaluation.candidate[tfma_results.OVERALL][RMSE]
  assert summary.read_summary(metadata_path).metrics['/'.join(RMSE)] == rmse
  assert (f'<td class="text">{" ".join(RMSE)}</td><td>{rmse:.4f}</td>'
          in html_report.build_report(metadata_path))
