"""TFMA metrics of the ranking heads, computed with numpy from buffered inputs.

TFMA 0.47 combines every example once per slice it falls in, and its own
metrics (and the Keras metrics it wraps) pay Python work per example and per
metric: extracting the label and prediction, bucketing, counting. On the full
temporal eval split (103k examples, 7 slicings) that was 719k `add_input`
calls into each of 7 combiners, 451 of the Evaluator's 617 profiled seconds.

Here each head has one combiner, and its `add_input` only appends: the label
and prediction are looked up once per example, before TFMA fans the examples
out to their slices, by a preprocessor. Every metric of the head is computed
from the head's arrays at the end of each slice, in numpy. Merging
concatenates the arrays, so it is right however Beam splits the examples
between workers (tests/test_metric_parity.py).

Each metric reproduces the TFMA or Keras metric the pipeline used before,
binning included: TFMA's AUC and calibration plots first put predictions in
10,000 fine buckets and then rebin those, so they do the same here (TFMA's
own rebinning loops over the buckets in Python: about 90 ms per slice and
head, 5 s over the 55 slices of the bundled sample's evaluation).

Examples are unweighted: the model spec has no example weight key, and a
computation asked for weighted examples fails rather than ignore the weights.

`BufferedX` reproduces TFMA's `X`, or Keras's where TFMA has none
(metric_parity.with_tfma_metrics relies on it). The prefix is needed: TFMA
looks a MetricConfig's class name up among its own metrics first, so a class
named `AUC` would be TFMA's.
"""

import dataclasses
from typing import Any, Callable, Iterable, Iterator, Mapping

import apache_beam as beam
import numpy as np
from tensorflow_model_analysis import constants
from tensorflow_model_analysis.metrics import metric_types
from tensorflow_model_analysis.metrics import multi_class_confusion_matrix_metrics as multi_class
from tensorflow_model_analysis.proto import metrics_for_slice_pb2

# Private (leading underscore): TFMA drops it from what it writes.
_ARRAYS_NAME = '_head_arrays'

MetricsDict = dict[metric_types.MetricKey, Any]


@dataclasses.dataclass
class HeadArrays:
  """One head's labels and predictions over a slice, one row per example."""
  labels: np.ndarray  # (examples, label size)
  predictions: np.ndarray  # (examples, prediction size)


def _lookup(value: Any, model_name: str, output_name: str) -> Any:
  """A model's output in TFMA's extracts: keyed by model, then output name.

  As TFMA's own lookup, a level is only looked into where it is keyed so: a
  single model's predictions are not keyed by model name.
  """
  for name in (model_name, output_name):
    if name and isinstance(value, Mapping) and name in value:
      value = value[name]
  return value


class _HeadInputs(metric_types.Preprocessor):
  """A head's label and prediction, once per example.

  TFMA runs preprocessors before it fans the examples out to their slices:
  103k lookups instead of 719k.
  """

  def __init__(self, key: metric_types.MetricKey):
    super().__init__(
        name=f'{_ARRAYS_NAME}:{key.model_name}:{key.output_name}')
    self._key = key

  def process(self, extracts: dict) -> Iterator[tuple[np.ndarray, ...]]:
    yield tuple(
        np.ravel(_lookup(extracts[name], self._key.model_name,
                         self._key.output_name))
        for name in (constants.LABELS_KEY, constants.PREDICTIONS_KEY))


@dataclasses.dataclass
class _Buffer:
  """Rows appended one example at a time, and blocks of rows stacked."""
  rows: list[tuple[np.ndarray, ...]] = dataclasses.field(default_factory=list)
  blocks: list[HeadArrays] = dataclasses.field(default_factory=list)


class _HeadArraysCombiner(beam.CombineFn):
  """Appends rows per example; stacks them when Beam compacts or merges.

  Stacking in `compact` makes what Beam serializes between its stages a few
  arrays per slice instead of a list of tiny arrays per example.
  """

  def __init__(self, key: metric_types.MetricKey):
    self._key = key

  def create_accumulator(self) -> _Buffer:
    return _Buffer()

  def add_input(self, accumulator: _Buffer,
                element: tuple[np.ndarray, ...]) -> _Buffer:
    accumulator.rows.append(element)
    return accumulator

  def compact(self, accumulator: _Buffer) -> _Buffer:
    """Stacks the rows into one block.

    One concatenation in C, reshaped: `np.stack` converts and reshapes each
    row in Python first, which took 8.8 of the Evaluator's 98 profiled
    seconds on the full temporal eval split.
    """
    if accumulator.rows:
      count = len(accumulator.rows)
      labels, predictions = zip(*accumulator.rows)
      accumulator.blocks.append(HeadArrays(
          np.concatenate(labels).astype(np.float64).reshape(count, -1),
          np.concatenate(predictions).astype(np.float64).reshape(count, -1)))
      accumulator.rows = []
    return accumulator

  def merge_accumulators(self, accumulators: Iterable[_Buffer]) -> _Buffer:
    merged = _Buffer()
    for accumulator in accumulators:
      merged.blocks.extend(self.compact(accumulator).blocks)
    return merged

  def extract_output(self, accumulator: _Buffer) -> MetricsDict:
    blocks = self.compact(accumulator).blocks
    return {self._key: HeadArrays(
        np.concatenate([block.labels for block in blocks]),
        np.concatenate([block.predictions for block in blocks]))}


class _Derived:
  """One key's value, computed from one head's arrays.

  A class, not a closure: TFMA tells derived computations apart by their
  result's class name and keys, and Beam pickles them.
  """

  def __init__(self, arrays_key: metric_types.MetricKey,
               key: metric_types.MetricKey,
               value: Callable[[HeadArrays], Any]):
    self._arrays_key = arrays_key
    self._key = key
    self._value = value

  def __call__(self, metrics: MetricsDict) -> MetricsDict:
    return {self._key: self._value(metrics[self._arrays_key])}


class _Buffered(metric_types.Metric):
  """A metric whose value `_value` computes from its head's arrays."""

  def __init__(self, name: str):
    super().__init__(self._computations, name=name)

  def _value(self, arrays: HeadArrays) -> Any:
    raise NotImplementedError

  # TFMA passes the arguments it finds in this signature.
  def _computations(
      self, name: str, model_names: list[str], output_names: list[str],
      example_weighted: bool) -> metric_types.MetricComputations:
    if example_weighted:
      raise NotImplementedError('Examples are not weighted in this pipeline')
    key_type = (metric_types.PlotKey if name.endswith('_plot')
                else metric_types.MetricKey)
    computations = []
    for model_name in model_names:
      for output_name in output_names:
        # TFMA keeps one of identical computations (same combiner class,
        # keys and preprocessor names): a head is buffered once however many
        # metrics read it.
        arrays_key = metric_types.MetricKey(
            name=_ARRAYS_NAME, model_name=model_name, output_name=output_name)
        key = key_type(name=name, model_name=model_name,
                       output_name=output_name)
        computations += [
            metric_types.MetricComputation(
                keys=[arrays_key], preprocessors=[_HeadInputs(arrays_key)],
                combiner=_HeadArraysCombiner(arrays_key)),
            metric_types.DerivedMetricComputation(
                keys=[key], result=_Derived(arrays_key, key, self._value))]
    return computations


def _errors(arrays: HeadArrays) -> np.ndarray:
  return arrays.predictions[:, 0] - arrays.labels[:, 0]


class BufferedRootMeanSquaredError(_Buffered):
  """Keras's RootMeanSquaredError (in float64, where Keras sums in float32)."""

  def __init__(self, name: str = 'root_mean_squared_error'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays) -> float:
    return float(np.sqrt(np.mean(_errors(arrays) ** 2)))


class BufferedMeanAbsoluteError(_Buffered):
  """Keras's MeanAbsoluteError; TFMA 0.47's own merges partial results wrongly.

  TFMA's MeanAbsoluteError counts the first partial result twice when it
  merges, so it is wrong whenever Beam merges several workers' results
  (tests/test_metric_parity.py).
  """

  def __init__(self, name: str = 'mean_absolute_error'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays) -> float:
    return float(np.mean(np.abs(_errors(arrays))))


class BufferedExampleCount(_Buffered):
  """TFMA's ExampleCount: the examples of the slice."""

  def __init__(self, name: str = 'example_count'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays) -> float:
    return float(len(arrays.labels))


class BufferedSparseCategoricalAccuracy(_Buffered):
  """Keras's: how often the most likely class (the first of ties) is right."""

  def __init__(self, name: str = 'sparse_categorical_accuracy'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays) -> float:
    return float(np.mean(
        np.argmax(arrays.predictions, axis=1) == arrays.labels[:, 0]))


class BufferedMultiClassConfusionMatrixPlot(_Buffered):
  """TFMA's MultiClassConfusionMatrixPlot at its default threshold, 0.

  An example's predicted class is its most likely one, however unlikely;
  only the (actual, predicted) pairs that occur have an entry, as in TFMA's.
  """

  THRESHOLD = 0.0

  def __init__(self, name: str = 'multi_class_confusion_matrix_plot'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays
             ) -> metrics_for_slice_pb2.MultiClassConfusionMatrixAtThresholds:
    predicted = np.argmax(arrays.predictions, axis=1)
    top = arrays.predictions[np.arange(len(predicted)), predicted]
    predicted = np.where(top <= self.THRESHOLD,
                         multi_class.NO_PREDICTED_CLASS_ID, predicted)
    pairs, counts = np.unique(
        np.stack([arrays.labels[:, 0].astype(np.int64), predicted], axis=1),
        axis=0, return_counts=True)
    matrices = multi_class.Matrices({self.THRESHOLD: {
        multi_class.MatrixEntryKey(int(actual), int(predicted)): float(count)
        for (actual, predicted), count in zip(pairs, counts)}})
    return matrices.to_proto().multi_class_confusion_matrix_at_thresholds


class BufferedCalibration(_Buffered):
  """TFMA's Calibration: total prediction over total label."""

  def __init__(self, name: str = 'calibration'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays) -> float:
    total_label = np.sum(arrays.labels[:, 0])
    if np.isclose(total_label, 0.0):
      return float('nan')
    return float(np.sum(arrays.predictions[:, 0]) / total_label)


class BufferedBinaryAccuracy(_Buffered):
  """TFMA's BinaryAccuracy at its default threshold: positive above 0.5.

  TFMA reads a label l as l of a positive and 1 - l of a negative example.
  """

  THRESHOLD = 0.5

  def __init__(self, name: str = 'binary_accuracy'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays) -> float:
    labels = arrays.labels[:, 0]
    positive = arrays.predictions[:, 0] > self.THRESHOLD
    return float(np.mean(np.where(positive, labels, 1 - labels)))


# TFMA's calibration histogram: the resolution its AUC and calibration plots
# bin predictions at before rebinning them.
_FINE_BUCKETS = 10_000


def _rebinned(predictions: np.ndarray, left: float, right: float,
              thresholds: np.ndarray) -> np.ndarray:
  """The bucket of `thresholds` TFMA puts each prediction in, via 10,000.

  TFMA's histogram puts a prediction in one of 10,000 buckets over [left,
  right), plus one below and one above, with this arithmetic; rebinning then
  moves each fine bucket, whole, to the coarse bucket its lower edge falls
  in. Where the two sets of edges do not line up, that is not the coarse
  bucket of the prediction itself.
  """
  fine = (predictions - left) / (right - left) * _FINE_BUCKETS + 1
  fine = np.clip(fine, 0, _FINE_BUCKETS + 1).astype(np.int64)
  edges = np.where(fine == 0, -np.inf, np.where(
      fine == _FINE_BUCKETS + 1, np.inf,
      (fine - 1) / _FINE_BUCKETS * (right - left) + left))
  return np.clip(np.searchsorted(thresholds, edges, side='right') - 1, 0,
                 len(thresholds) - 1)


# TFMA's AUC thresholds: 10,000 evenly spaced over [0, 1], the ends fenced
# off by an epsilon.
_EPSILON = 1e-7
_AUC_THRESHOLDS = np.array(
    [-_EPSILON] + [(i + 1) / (10_000 - 1) for i in range(10_000 - 2)]
    + [1.0 + _EPSILON])


class BufferedAUC(_Buffered):
  """TFMA's AUC: ROC, interpolated between its 10,000 thresholds."""

  def __init__(self, name: str = 'auc'):
    super().__init__(name)

  def _value(self, arrays: HeadArrays) -> float:
    """TFMA's confusion matrices at each threshold, then its AUC formula.

    Its matrices come from the histogram rebinned at the thresholds plus
    epsilon (the first, -epsilon, plus epsilon is 0); above the last
    threshold nothing is predicted positive.
    """
    rebin_at = np.where(_AUC_THRESHOLDS != 0, _AUC_THRESHOLDS + _EPSILON, 0.0)
    buckets = _rebinned(arrays.predictions[:, 0], 0.0, 1.0, rebin_at)
    size = len(_AUC_THRESHOLDS)
    positives = np.bincount(buckets, weights=arrays.labels[:, 0],
                            minlength=size)
    negatives = np.bincount(buckets, minlength=size) - positives
    tp = np.cumsum(positives[::-1])[::-1]
    fp = np.cumsum(negatives[::-1])[::-1]
    fn = np.concatenate([[0.0], np.cumsum(positives)[:-1]])
    tn = np.concatenate([[0.0], np.cumsum(negatives)[:-1]])
    tp[-1], fp[-1], fn[-1], tn[-1] = 0.0, 0.0, tp[0], fp[0]
    recall = tp / (tp + fn)
    false_positive_rate = fp / (fp + tn)
    heights = (recall[:-1] + recall[1:]) / 2
    return float(np.nansum(
        (false_positive_rate[:-1] - false_positive_rate[1:]) * heights))


class BufferedCalibrationPlot(_Buffered):
  """TFMA's CalibrationPlot: predictions and labels by prediction bucket.

  Its buckets: below `left`, `num_buckets` over [left, right), then the rest
  in the last one, as TFMA's rebinning of its histogram leaves them.
  """

  def __init__(self, num_buckets: int, left: float, right: float,
               name: str = 'calibration_plot'):
    super().__init__(name)
    self._left = left
    self._right = right
    self._thresholds = np.array([-np.inf] + [
        left + i * (right - left) / num_buckets
        for i in range(num_buckets + 1)])

  def _value(self, arrays: HeadArrays
             ) -> metrics_for_slice_pb2.CalibrationHistogramBuckets:
    predictions = arrays.predictions[:, 0]
    buckets = _rebinned(predictions, self._left, self._right,
                        self._thresholds)
    size = len(self._thresholds)
    labels, total_predictions, examples = (
        np.bincount(buckets, weights=weights, minlength=size)
        for weights in (arrays.labels[:, 0], predictions, None))
    uppers = list(self._thresholds[1:]) + [np.inf]
    plot = metrics_for_slice_pb2.CalibrationHistogramBuckets()
    for lower, upper, label, prediction, count in zip(
        self._thresholds, uppers, labels, total_predictions, examples):
      plot.buckets.add(
          lower_threshold_inclusive=lower, upper_threshold_exclusive=upper,
          total_weighted_label={'value': label},
          total_weighted_refined_prediction={'value': prediction},
          num_weighted_examples={'value': count})
    return plot
