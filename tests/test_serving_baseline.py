"""ServingBaseline: the newest pushed model as the Evaluator's baseline."""

import os

from tfx.types import standard_artifacts
from tfx.types import standard_component_specs

from components import serving_baseline


def _push(serving_dir, version: str) -> None:
  model_dir = serving_dir / version
  (model_dir / 'variables').mkdir(parents=True)
  (model_dir / 'saved_model.pb').write_text(version)


def test_the_newest_numbered_version_is_the_baseline(tmp_path):
  for version in ('9', '10', '2'):
    _push(tmp_path, version)
  (tmp_path / 'tmp-12').mkdir()
  assert serving_baseline.latest_pushed_version(str(tmp_path)) == str(
      tmp_path / '10')


def test_nothing_pushed_is_no_version(tmp_path):
  assert serving_baseline.latest_pushed_version(str(tmp_path / 'none')) is None
  assert serving_baseline.latest_pushed_version(str(tmp_path)) is None


def test_the_copy_is_the_artifacts_serving_model(tmp_path):
  serving_dir, baseline_uri = tmp_path / 'serving', tmp_path / 'baseline'
  _push(serving_dir, '7')
  copied = serving_baseline.copy_latest_pushed(str(serving_dir),
                                               str(baseline_uri))
  assert copied == str(serving_dir / '7')
  model = baseline_uri / 'Format-Serving'
  assert (model / 'saved_model.pb').read_text() == '7'
  assert os.path.isdir(model / 'variables')


def test_with_nothing_pushed_nothing_is_copied(tmp_path):
  assert serving_baseline.copy_latest_pushed(
      str(tmp_path / 'serving'), str(tmp_path / 'baseline')) == ''
  assert not os.path.exists(tmp_path / 'baseline')


def _baseline(served: str) -> standard_artifacts.Model:
  artifact = standard_artifacts.Model()
  artifact.set_string_custom_property(serving_baseline.SERVED_MODEL, served)
  return artifact


def test_the_evaluator_gets_no_baseline_when_nothing_was_pushed():
  key = standard_component_specs.BASELINE_MODEL_KEY
  candidate = [standard_artifacts.Model()]
  empty = {'model': candidate, key: [_baseline('')]}
  assert serving_baseline.without_empty_baseline(empty) == {
      'model': candidate}
  pushed = {'model': candidate, key: [_baseline('/serving/ranking/7')]}
  assert serving_baseline.without_empty_baseline(pushed) == pushed
  assert serving_baseline.served_model(pushed[key][0]) == '/serving/ranking/7'
