"""The TFMA configuration: every head measured, sliced, and gated."""

import json

from tensorflow_model_analysis.metrics import metric_specs
from tensorflow_model_analysis.metrics import metric_types

from contract import features
from contract import formats
from models import tasks
from pipeline import configs
from pipeline import evaluation
from reporting import tfma_results


def _metrics_by_head(eval_config) -> dict[str, dict]:
  """head -> name of the metric's values -> MetricConfig."""
  return {spec.output_names[0]: {json.loads(m.config)['name']: m
                                 for m in spec.metrics}
          for spec in eval_config.metrics_specs}


def test_each_head_has_its_metrics():
  metrics = _metrics_by_head(
      evaluation.make_eval_config(configs.EvaluationConfig(), formats.ML_1M.rating_scale))
  assert set(metrics[features.RATING_HEAD]) == {
      'root_mean_squared_error', 'mean_absolute_error', 'example_count',
      'calibration_plot'}
  assert set(metrics[features.STARS_HEAD]) == {
      'sparse_categorical_accuracy', 'multi_class_confusion_matrix_plot'}
  assert set(metrics[features.LIKED_HEAD]) == {
      'auc', 'calibration', 'calibration_plot', 'binary_accuracy'}


def test_every_metric_is_computed_from_buffered_arrays():
  """No per-example TFMA or Keras combiner: one combiner per head."""
  eval_config = evaluation.make_eval_config(configs.EvaluationConfig(), formats.ML_1M.rating_scale)
  computations = metric_specs.to_computations(eval_config.metrics_specs,
                                              eval_config=eval_config)
  combiners = {computation for computation in computations
               if isinstance(computation, metric_types.MetricComputation)}
  assert sorted(key.output_name for combiner in combiners
                for key in combiner.keys) == sorted(
                    task.head for task in tasks.RANKING_TASKS)


def test_labels_come_from_the_transformed_features():
  eval_config = evaluation.make_eval_config(configs.EvaluationConfig(), formats.ML_1M.rating_scale)
  spec = eval_config.model_specs[0]
  assert list(spec.preprocessing_function_names) == ['transform_features']
  assert dict(spec.label_keys) == {
      task.head: task.label for task in tasks.RANKING_TASKS}


def test_slices_overall_and_by_demographics():
  eval_config = evaluation.make_eval_config(configs.EvaluationConfig(), formats.ML_1M.rating_scale)
  sliced = [list(s.feature_keys) for s in eval_config.slicing_specs]
  assert sliced == [[]] + [[name] for name in features.SLICE_FEATURES]


def _overall_threshold(metric):
  (per_slice,) = metric.per_slice_thresholds
  assert [list(s.feature_keys) for s in per_slice.slicing_specs] == [[]]
  return per_slice.threshold


def test_rmse_and_auc_gate_the_overall_slice_only():
  config = configs.EvaluationConfig(max_rmse=1.05, max_rmse_increase=0.02)
  metrics = _metrics_by_head(evaluation.make_eval_config(config, formats.ML_1M.rating_scale))
  rmse = _overall_threshold(
      metrics[features.RATING_HEAD]['root_mean_squared_error'])
  assert rmse.value_threshold.upper_bound.value == 1.05
  assert rmse.change_threshold.absolute.value == 0.02
  auc = _overall_threshold(metrics[features.LIKED_HEAD]['auc'])
  assert auc.value_threshold.lower_bound.value == config.min_liked_auc


def test_the_report_finds_the_rule_of_each_gated_metric():
  rules = tfma_results.thresholds(
      evaluation.make_eval_config(configs.EvaluationConfig(max_rmse=1.05), formats.ML_1M.rating_scale))
  assert set(rules) == {(features.RATING_HEAD, 'root_mean_squared_error'),
                        (features.LIKED_HEAD, 'auc')}
  assert rules[(features.RATING_HEAD, 'root_mean_squared_error')].startswith(
      '≤ 1.05')


def test_slices_include_genre_and_the_leak_free_activity_buckets():
  eval_config = evaluation.make_eval_config(configs.EvaluationConfig(), formats.ML_1M.rating_scale)
  sliced = {tuple(s.feature_keys) for s in eval_config.slicing_specs}
  assert {(features.FIRST_GENRE,), (features.USER_ACTIVITY_BUCKET,),
          (features.MOVIE_POPULARITY_BUCKET,)} <= sliced


def test_plots_bucket_liked_by_tenths_and_rating_by_star():
  metrics = _metrics_by_head(
      evaluation.make_eval_config(configs.EvaluationConfig(), formats.ML_1M.rating_scale))
  assert json.loads(
      metrics[features.LIKED_HEAD]['calibration_plot'].config) == {
          'name': 'calibration_plot', 'left': 0.0, 'right': 1.0,
          'num_buckets': 10}
  assert json.loads(
      metrics[features.RATING_HEAD]['calibration_plot'].config) == {
          'name': 'calibration_plot', 'left': 0.5, 'right': 5.5,
          'num_buckets': 5}
