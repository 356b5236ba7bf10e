"""The bare training loop on the shared sample run's raw train split."""

import math

from benchmarks import bare_trainer
from contract import paths
from models import hyperparameters


def test_validating_trains_on_the_rest_and_scores_the_carve_out(run):
  result = bare_trainer.train(
      paths.pipeline_root(run.output_dir),
      hyperparameters.ModelConfig(epochs=2, batch_size=128), validate=True)
  assert len(result['val_rating_rmse']) == 2
  assert all(math.isfinite(rmse) and 0 < rmse < 2
             for rmse in result['val_rating_rmse'])
  assert result['examples_per_s'] > 0
