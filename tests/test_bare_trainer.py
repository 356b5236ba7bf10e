"""The bare training loop on the shared sample run's raw train split."""

import math

from benchmarks import bare_trainer
from contract import paths
from models import hyperparameters


def test_validating_trains_on_the_rest_and_scores_the_carve_out(run):
  result = bare_trainer.train(
      paths.pipeline_root(run.output_dir),
      hyperparameters.ModelConfig(epochs=2, batch_size=128), validate=True,
      on_eval=False)
  [member_rmse] = result['val_rating_rmse']
  assert len(member_rmse) == 2
  assert all(math.isfinite(rmse) and 0 < rmse < 2 for rmse in member_rmse)
  assert 0 < result['carve_out']['rmse'] < 2
  assert result['examples_per_s'] > 0
  assert 'eval' not in result


def test_an_ensemble_is_measured_on_the_carve_out_and_on_eval(run):
  result = bare_trainer.train(
      paths.pipeline_root(run.output_dir),
      hyperparameters.ModelConfig(epochs=1, batch_size=128, ensemble_size=2),
      validate=True, on_eval=True)
  assert len(result['val_rating_rmse']) == 2
  assert 0 < result['eval']['rmse'] < 2
  assert 0 <= result['eval']['auc_liked'] <= 1
  assert 0 < result['serving_p50_ms_100'] <= result['serving_p99_ms_100']
