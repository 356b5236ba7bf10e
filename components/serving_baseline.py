"""The Evaluator's baseline, read from what the Pusher left behind.

The Evaluator blesses a model only if it is no worse than the last blessed
one. TFX finds that model with a Resolver that queries ML Metadata, which the
local runner and Vertex AI can run but self-hosted Kubeflow Pipelines cannot:
its compiler stops at "non-container and non-importer executor not
implemented" (kubeflow/pipelines backend/src/v2/compiler/visitor.go). The
Pusher pushes every blessed model as a new version directory, so the newest
version under the serving directory is the last blessed model, on every
orchestrator. `ServingBaseline` copies it into its own Model artifact (a copy,
so a later push cannot change what this run was compared with), and
`Evaluator` is TFX's Evaluator told that an empty baseline means none: the
first run, with nothing pushed, is judged by the fixed bounds alone.
"""

import os
from typing import Any

from tfx import v1 as tfx
from tfx.components.evaluator import executor as evaluator_executor
from tfx.dsl.components.base import executor_spec
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs
from tfx.utils import io_utils
from tfx.utils import path_utils

# Custom property of the baseline artifact: the pushed version it copies,
# empty when nothing was pushed yet.
SERVED_MODEL = 'served_model'


def latest_pushed_version(serving_model_dir: str) -> str | None:
  """The highest version directory under a TF Serving model base directory."""
  if not fileio.isdir(serving_model_dir):
    return None
  versions = [name.rstrip('/') for name in fileio.listdir(serving_model_dir)]
  versions = [name for name in versions if name.isdigit()]
  if not versions:
    return None
  return os.path.join(serving_model_dir, max(versions, key=int))


def served_model(baseline: Any) -> str:
  """The pushed version a baseline artifact copies, or '' for none.

  Takes a TFX Artifact or the ML Metadata record of one (as the report reads).
  """
  properties = getattr(baseline, 'mlmd_artifact', baseline).custom_properties
  return properties[SERVED_MODEL].string_value if (
      SERVED_MODEL in properties) else ''


def copy_latest_pushed(serving_model_dir: str, baseline_uri: str) -> str:
  """Copies the newest pushed version as a Model artifact's serving model.

  Returns the version copied, or '' when nothing was pushed yet.
  """
  pushed = latest_pushed_version(serving_model_dir)
  if pushed is None:
    return ''
  io_utils.copy_dir(pushed, path_utils.serving_model_dir(baseline_uri))
  return pushed


def without_empty_baseline(
    input_dict: dict[str, list[Any]]) -> dict[str, list[Any]]:
  """The Evaluator's inputs, less a baseline that copies no pushed model."""
  key = standard_component_specs.BASELINE_MODEL_KEY
  if input_dict.get(key) and not served_model(input_dict[key][0]):
    return {name: artifacts for name, artifacts in input_dict.items()
            if name != key}
  return input_dict


@tfx.dsl.components.component
def ServingBaseline(  # pylint: disable=invalid-name
    model: tfx.dsl.components.InputArtifact[
        tfx.types.standard_artifacts.Model],
    baseline: tfx.dsl.components.OutputArtifact[
        tfx.types.standard_artifacts.Model],
    serving_model_dir: tfx.dsl.components.Parameter[str]) -> None:
  """Copies the newest pushed model into `baseline`, or leaves it empty.

  `model`, the candidate, is not read: it keys the cache, so the serving
  directory is read again whenever there is a new candidate to compare.
  """
  del model
  baseline.set_string_custom_property(
      SERVED_MODEL, copy_latest_pushed(serving_model_dir, baseline.uri))


class EvaluatorExecutor(evaluator_executor.Executor):
  """TFX's Evaluator executor, given no baseline when the baseline is empty."""

  def Do(self, input_dict: dict[str, list[Any]],
         output_dict: dict[str, list[Any]],
         exec_properties: dict[str, Any]) -> None:
    super().Do(without_empty_baseline(input_dict), output_dict,
               exec_properties)


class Evaluator(tfx.components.Evaluator):
  """TFX's Evaluator, whose baseline comes from ServingBaseline."""
  EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(EvaluatorExecutor)
