"""The HTML report: the retrieval section on its own, then the report of a real
run opened in headless Chromium."""

import json
import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from cli import main
from components import retrieval_evaluator
from components import two_stage_evaluator
from contract import features
from contract import paths
from reporting import evaluation_sections
from reporting import page
from reporting import run_record

CHROMIUM = shutil.which('chromium')
CHROMEDRIVER = shutil.which('chromedriver')


def _retrieval_metrics_dir(directory) -> str:
  curve = [[k, min(1.0, k / 120)] for k in range(1, 101)]
  (directory / retrieval_evaluator.METRICS_FILE).write_text(json.dumps({
      'protocol': 'last1', 'targets': 6040, 'hr@10': 0.0833, 'hr@50': 0.4167,
      'hr@100': 0.8333, 'ndcg@10': 0.0412, 'hit_rate_curve': curve}))
  return str(directory)


def test_retrieval_section_draws_the_hit_rate_curve(tmp_path):
  section = evaluation_sections.retrieval_section(_retrieval_metrics_dir(tmp_path))
  assert '<td class="text">last1</td><td>6,040</td><td>0.0833</td>' in section
  assert '<td>0.4167</td><td>0.8333</td><td>0.0412</td>' in section
  assert 'Hit rate at K' in section
  assert section.count('<circle ') == 100
  assert 'HR@K: (100, 0.8333)' in section


def test_retrieval_section_says_when_the_run_has_no_retrieval_model():
  assert 'No retrieval model in this run' in evaluation_sections.retrieval_section(
      None)


def _two_stage_metrics_dir(directory) -> str:
  def side(scale: float) -> dict:
    return {'hr@10': 0.30 * scale, 'hr@50': 0.55 * scale,
            'hr@100': 0.65 * scale, 'ndcg@10': 0.18 * scale,
            two_stage_evaluator.LIKED_HIT_RATE: 0.31 * scale,
            'hit_rate_curve': [[k, min(1.0, scale * k / 150)]
                               for k in range(1, 101)]}
  (directory / two_stage_evaluator.METRICS_FILE).write_text(json.dumps({
      'targets': 6040, 'liked_targets': 3500, 'candidates': 300,
      two_stage_evaluator.RETRIEVAL: side(1.0),
      two_stage_evaluator.TWO_STAGE: side(1.1),
      'hr@10_delta_ci95': [0.01, 0.05], 'ndcg@10_delta_ci95': [0.012, 0.024]}))
  return str(directory)


def test_two_stage_section_compares_both_orders_on_the_same_targets(tmp_path):
  section = evaluation_sections.two_stage_section(
      _two_stage_metrics_dir(tmp_path))
  assert ('<td class="text">retrieval alone</td><td>0.3000</td>'
          '<td>0.5500</td>') in section
  assert '<td class="text">retrieve, then rank</td><td>0.3300</td>' in section
  assert 'ndcg@10 difference, paired bootstrap 95% over users: 0.0120 to ' \
      '0.0240' in section
  assert section.count('<circle ') == 200
  assert 'retrieve, then rank: (100, 0.7333)' in section


def test_two_stage_section_says_when_the_run_has_none():
  assert 'No two-stage evaluation' in evaluation_sections.two_stage_section(
      None)


def test_page_has_every_section_and_no_external_reference():
  document = page.page('run-1', {
      section: f'<p>{section} body</p>'
      for section, _ in page.SECTIONS})
  for section, title in page.SECTIONS:
    assert f'<section id="{section}"><h2>{title}</h2>' in document
  assert '<script' not in document
  assert 'https://' not in document


@pytest.fixture(scope='module')
def browser():
  if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip('chromium and chromedriver are not installed (.ci/run '
                'installs the Debian packages chromium and chromium-driver)')
  options = webdriver.ChromeOptions()
  options.binary_location = CHROMIUM
  for flag in ('--headless', '--no-sandbox', '--disable-gpu',
               '--window-size=1400,1000',
               # Any request to the network would fail, and show as an error.
               '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>'):
    options.add_argument(flag)
  options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
  driver = webdriver.Chrome(options=options,
                            service=Service(executable_path=CHROMEDRIVER))
  yield driver
  driver.quit()


def test_run_writes_the_report_and_prints_its_path(run):
  assert run.completed.returncode == 0, run.completed.stderr[-5000:]
  path = paths.report_path(run.output_dir)
  assert f'Report: {path}' in run.completed.stdout.splitlines()
  assert os.path.getsize(path) > 10_000


def test_report_of_a_run_opens_offline_with_every_section_filled(
    run, browser, tmp_path):
  metadata_path = paths.metadata_path(run.output_dir)
  first_run = run_record.run_ids(run_record.open_store(metadata_path))[0]
  path = str(tmp_path / 'report.html')
  assert main.main(['report', '--output-dir', run.output_dir, '--run',
                    first_run, '--output', path]) == 0

  browser.get(f'file://{path}')
  assert browser.get_log('browser') == []
  assert browser.execute_script(
      "return performance.getEntriesByType('resource').length") == 0
  for section, title in page.SECTIONS:
    element = browser.find_element(By.ID, section)
    assert element.find_element(By.TAG_NAME, 'h2').text == title
  assert first_run in browser.title

  statistics = browser.find_element(By.ID, 'statistics')
  assert [h.text.split(':')[0] for h in statistics.find_elements(
      By.TAG_NAME, 'h3')] == ['Split train', 'Split eval']
  assert len(statistics.find_elements(By.TAG_NAME, 'svg')) > 10
  anomalies = browser.find_element(By.ID, 'anomalies').text
  assert 'Split eval: no anomalies' in anomalies
  rejects = browser.find_element(By.ID, 'rejects').text
  assert 'ratings.dat' in rejects and 'examples written' in rejects

  metrics = browser.find_element(By.ID, 'metrics')
  headings = [h.text for h in metrics.find_elements(By.TAG_NAME, 'h3')]
  assert headings == ['Overall'] + [
      f'By {name}' for name in features.SLICE_FEATURES]
  tables = metrics.find_elements(By.TAG_NAME, 'table')
  assert len(tables) == 1 + len(features.SLICE_FEATURES)
  assert 'root_mean_squared_error' in tables[0].text
  for table in tables[1:]:
    assert len(table.find_elements(By.TAG_NAME, 'tr')) >= 2

  plots = browser.find_element(By.ID, 'plots')
  titles = [svg.get_attribute('aria-label')
            for svg in plots.find_elements(By.TAG_NAME, 'svg')]
  assert titles == [
      'Calibration of the liked head',
      'Predicted vs actual rating (eval split)'] + [
          f'By {name}' for name in features.SLICE_FEATURES]
  assert plots.find_elements(By.TAG_NAME, 'circle')
  baseline = browser.find_element(By.ID, 'baseline').text
  assert 'Blessing decision: blessed' in baseline
  assert 'No baseline model' in baseline
  assert '≤ 1.1' in baseline
  retrieval_dir = run_record.read_run(metadata_path, first_run).output(
      paths.RETRIEVAL_EVALUATOR, 'evaluation').uri
  with open(os.path.join(retrieval_dir,
                         retrieval_evaluator.METRICS_FILE)) as file:
    hr_at_10 = json.load(file)['hr@10']
  retrieval = browser.find_element(By.ID, 'retrieval')
  assert f'{hr_at_10:.4f}' in retrieval.text
  assert len(retrieval.find_elements(By.TAG_NAME, 'circle')) == 100

  browser.set_window_size(1400, browser.execute_script(
      'return document.body.scrollHeight'))
  screenshot = tmp_path / 'report.png'
  assert browser.save_screenshot(str(screenshot))
  assert screenshot.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_report_of_an_unknown_run_fails_with_the_runs_it_knows(run, capsys):
  assert main.main(['report', '--output-dir', run.output_dir, '--run',
                    'no-such-run', '--output', os.devnull]) == 1
  assert "no run 'no-such-run'" in capsys.readouterr().err
