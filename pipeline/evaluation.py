"""The TFMA configuration: per-head metrics, slices and the blessing thresholds."""

import json

import tensorflow_model_analysis as tfma

from contract import features
from contract import formats
from models import signatures
from models import tasks
from pipeline import configs
from pipeline import evaluation_metrics


def _overall_threshold(lower_is_better: bool, bound: float,
                       max_change: float | None = None
                       ) -> list[tfma.PerSliceMetricThreshold]:
  """A value bound, plus one on the change against the baseline model.

  Both apply to the overall slice only: small slices are reported, not gated.
  """
  if lower_is_better:
    value = tfma.GenericValueThreshold(upper_bound={'value': bound})
  else:
    value = tfma.GenericValueThreshold(lower_bound={'value': bound})
  threshold = tfma.MetricThreshold(value_threshold=value)
  if max_change is not None:
    direction = (tfma.MetricDirection.LOWER_IS_BETTER if lower_is_better
                 else tfma.MetricDirection.HIGHER_IS_BETTER)
    change = max_change if lower_is_better else -max_change
    threshold.change_threshold.CopyFrom(tfma.GenericChangeThreshold(
        direction=direction, absolute={'value': change}))
  return [tfma.PerSliceMetricThreshold(slicing_specs=[tfma.SlicingSpec()],
                                       threshold=threshold)]


# Buckets of the calibration plots, as (left, right, count): the liked
# probability in tenths, and (rating_plot_buckets) the predicted rating
# rounded to the nearest value of its scale, so that the report can set it
# beside the actual ratings.
LIKED_PLOT_BUCKETS = (0.0, 1.0, 10)


def rating_plot_buckets(scale: formats.RatingScale
                        ) -> tuple[float, float, int]:
  """One bucket per value of the rating scale, centred on the value."""
  return (scale.lowest - scale.step / 2, scale.highest + scale.step / 2,
          scale.num_values)


def _metric(metric_class: type, name: str,
            thresholds: list[tfma.PerSliceMetricThreshold] | None = None,
            **config: float) -> tfma.MetricConfig:
  """One of evaluation_metrics' metrics, named as its values are.

  Those metrics, not TFMA's or Keras's, because they are computed from
  arrays and not example by example: the Evaluator took 290 s on the full
  temporal eval split with TFMA's (evaluation_metrics says why). The name is
  in the config so that readers of the config (the report's threshold
  column) find a metric's values without knowing its class.
  """
  return tfma.MetricConfig(
      class_name=metric_class.__name__, module=evaluation_metrics.__name__,
      config=json.dumps({'name': name, **config}),
      per_slice_thresholds=thresholds)


def _calibration_plot(buckets: tuple[float, float, int]) -> tfma.MetricConfig:
  """Few buckets: the plots are read by people, not searched for a threshold."""
  left, right, num_buckets = buckets
  return _metric(evaluation_metrics.BufferedCalibrationPlot, 'calibration_plot',
                 left=left, right=right, num_buckets=num_buckets)


def make_eval_config(config: configs.EvaluationConfig,
                     scale: formats.RatingScale) -> tfma.EvalConfig:
  """Metrics of each head, overall and per slice, with the bless rules.

  A model is blessed when its RMSE and liked-AUC clear fixed bounds and its
  RMSE is no more than `max_rmse_increase` above the last blessed model's.
  """
  return tfma.EvalConfig(
      # Only the metrics configured below; the model's compiled Keras metrics
      # would repeat them under other names.
      options=tfma.Options(include_default_metrics={'value': False}),
      model_specs=[tfma.ModelSpec(
          # Only the signatures are used: naming the type spares TFMA reviving
          # the saved model as Keras to guess it.
          model_type=tfma.TF_GENERIC,
          signature_name=signatures.SERVING_DEFAULT,
          preprocessing_function_names=[signatures.TRANSFORM_FEATURES],
          label_keys={task.head: task.label for task in tasks.RANKING_TASKS},
      )],
      slicing_specs=[tfma.SlicingSpec()] + [
          tfma.SlicingSpec(feature_keys=[name])
          for name in features.SLICE_FEATURES],
      metrics_specs=[
          tfma.MetricsSpec(
              output_names=[features.RATING_HEAD],
              metrics=[
                  _metric(evaluation_metrics.BufferedRootMeanSquaredError,
                          'root_mean_squared_error',
                          _overall_threshold(True, config.max_rmse,
                                             config.max_rmse_increase)),
                  _metric(evaluation_metrics.BufferedMeanAbsoluteError,
                          'mean_absolute_error'),
                  _metric(evaluation_metrics.BufferedExampleCount,
                          'example_count'),
                  _calibration_plot(rating_plot_buckets(scale)),
              ]),
          tfma.MetricsSpec(
              output_names=[features.STARS_HEAD],
              metrics=[
                  _metric(
                      evaluation_metrics.BufferedSparseCategoricalAccuracy,
                      'sparse_categorical_accuracy'),
                  _metric(
                      evaluation_metrics.BufferedMultiClassConfusionMatrixPlot,
                      'multi_class_confusion_matrix_plot'),
              ]),
          tfma.MetricsSpec(
              output_names=[features.LIKED_HEAD],
              metrics=[
                  _metric(evaluation_metrics.BufferedAUC, 'auc',
                          _overall_threshold(False, config.min_liked_auc)),
                  _metric(evaluation_metrics.BufferedCalibration,
                          'calibration'),
                  _calibration_plot(LIKED_PLOT_BUCKETS),
                  _metric(evaluation_metrics.BufferedBinaryAccuracy,
                          'binary_accuracy'),
              ]),
      ])
