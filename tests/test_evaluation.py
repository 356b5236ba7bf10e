"""The TFMA configuration: every head measured, sliced, and gated."""

import json

from models import tasks
from pipeline import configs
from pipeline import evaluation
from pipeline import features


def _metrics_by_head(eval_config) -> dict[str, dict]:
  return {spec.output_names[0]: {m.class_name: m for m in spec.metrics}
          for spec in eval_config.metrics_specs}


def test_each_head_has_its_metrics():
  metrics = _metrics_by_head(
      evaluation.make_eval_config(configs.EvaluationConfig()))
  assert {'RootMeanSquaredError', 'KerasMeanAbsoluteError'} <= set(
      metrics[features.RATING_HEAD])
  assert 'SparseCategoricalAccuracy' in metrics[features.STARS_HEAD]
  assert {'AUC', 'Calibration', 'CalibrationPlot'} <= set(
      metrics[features.LIKED_HEAD])


def test_labels_come_from_the_transformed_features():
  eval_config = evaluation.make_eval_config(configs.EvaluationConfig())
  spec = eval_config.model_specs[0]
  assert list(spec.preprocessing_function_names) == ['transform_features']
  assert dict(spec.label_keys) == {
      task.head: task.label for task in tasks.RANKING_TASKS}


def test_slices_overall_and_by_demographics():
  eval_config = evaluation.make_eval_config(configs.EvaluationConfig())
  sliced = [list(s.feature_keys) for s in eval_config.slicing_specs]
  assert sliced == [[]] + [[name] for name in features.SLICE_FEATURES]


def _overall_threshold(metric):
  (per_slice,) = metric.per_slice_thresholds
  assert [list(s.feature_keys) for s in per_slice.slicing_specs] == [[]]
  return per_slice.threshold


def test_rmse_and_auc_gate_the_overall_slice_only():
  config = configs.EvaluationConfig(max_rmse=1.05, max_rmse_increase=0.02)
  metrics = _metrics_by_head(evaluation.make_eval_config(config))
  rmse = _overall_threshold(
      metrics[features.RATING_HEAD]['RootMeanSquaredError'])
  assert rmse.value_threshold.upper_bound.value == 1.05
  assert rmse.change_threshold.absolute.value == 0.02
  auc = _overall_threshold(metrics[features.LIKED_HEAD]['AUC'])
  assert auc.value_threshold.lower_bound.value == config.min_liked_auc


def test_slices_include_genre_and_the_leak_free_activity_buckets():
  eval_config = evaluation.make_eval_config(configs.EvaluationConfig())
  sliced = {tuple(s.feature_keys) for s in eval_config.slicing_specs}
  assert {(features.FIRST_GENRE,), (features.USER_ACTIVITY_BUCKET,),
          (features.MOVIE_POPULARITY_BUCKET,)} <= sliced


def test_plots_bucket_liked_by_tenths_and_rating_by_star():
  metrics = _metrics_by_head(
      evaluation.make_eval_config(configs.EvaluationConfig()))
  assert json.loads(metrics[features.LIKED_HEAD]['CalibrationPlot'].config) == {
      'left': 0.0, 'right': 1.0, 'num_buckets': 10}
  assert json.loads(
      metrics[features.RATING_HEAD]['CalibrationPlot'].config) == {
          'left': 0.5, 'right': 5.5, 'num_buckets': 5}
  assert 'MultiClassConfusionMatrixPlot' in metrics[features.STARS_HEAD]
