"""The bare training loop on the shared sample run's raw train split."""

import math

from benchmarks import bare_trainer
from benchmarks import carve_outs
from contract import paths
from models import hyperparameters


def test_members_train_on_the_rest_and_the_average_is_measured_on_both_splits(
    run):
  result = bare_trainer.train(
      paths.pipeline_root(run.output_dir),
      hyperparameters.ModelConfig(epochs=2, batch_size=128, ensemble_size=2),
      carve_out=carve_outs.EVERY_TENTH, on_eval=True)
  assert len(result['val_rating_rmse']) == 2
  for member_rmse in result['val_rating_rmse']:
    assert len(member_rmse) == 2
    assert all(math.isfinite(rmse) and 0 < rmse < 2 for rmse in member_rmse)
  assert result['examples_per_s'] > 0
  for split in ('carve_out', 'carve_out_revealed', 'eval'):
    assert 0 < result[split]['rmse'] < 2
    assert 0 <= result[split]['auc_liked'] <= 1
  assert 0 < result['serving_p50_ms_100'] <= result['serving_p99_ms_100']


def test_without_validation_nothing_is_measured(run):
  result = bare_trainer.train(
      paths.pipeline_root(run.output_dir),
      hyperparameters.ModelConfig(epochs=1, batch_size=128, ensemble_size=1),
      carve_out=None, on_eval=False)
  assert result['fit_s'] > 0
  assert not {'val_rating_rmse', 'carve_out', 'eval'} & set(result)
