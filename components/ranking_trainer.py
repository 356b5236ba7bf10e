"""TFX's Trainer with one more input: the impression lists the engagement head learns from.

TFX's Trainer hands run_fn one Examples artifact. The ranking model needs
two: the ingested examples (its rating heads, and the ratings its candidate
features count) and ImpressionGen's lists. This component is the Trainer
with an `impressions` channel; its executor is the Trainer's, passing the
lists' train files to run_fn in custom_config[paths.IMPRESSION_FILES]. Both
are plain TFX classes, so every orchestrator runs it as it runs the Trainer.
"""

from typing import Any

from tfx import types
from tfx.components.trainer import executor as trainer_executor
from tfx.dsl.components.base import base_component
from tfx.dsl.components.base import executor_spec
from tfx.extensions.google_cloud_ai_platform.trainer import executor as vertex_trainer
from tfx.proto import trainer_pb2
from tfx.types import artifact_utils
from tfx.types import component_spec
from tfx.types import standard_artifacts
from tfx.types import standard_component_specs
from tfx.utils import io_utils
from tfx.utils import json_utils

from contract import paths
from contract import splits

IMPRESSIONS_KEY = 'impressions'


class RankingTrainerSpec(standard_component_specs.TrainerSpec):
  """The Trainer's spec with the impression lists as an input."""
  INPUTS = {
      **standard_component_specs.TrainerSpec.INPUTS,
      IMPRESSIONS_KEY: component_spec.ChannelParameter(
          type=standard_artifacts.Examples),
  }


class Executor(trainer_executor.GenericExecutor):
  """The Trainer's executor, telling run_fn where the impression lists are."""

  def _GetFnArgs(self, input_dict: dict[str, list[types.Artifact]],
                 output_dict: dict[str, list[types.Artifact]],
                 exec_properties: dict[str, Any]):
    fn_args = super()._GetFnArgs(input_dict, output_dict, exec_properties)
    fn_args.custom_config = {
        **(fn_args.custom_config or {}),
        paths.IMPRESSION_FILES: [io_utils.all_files_pattern(
            artifact_utils.get_split_uri(input_dict[IMPRESSIONS_KEY],
                                         splits.TRAIN_SPLIT))]}
    return fn_args


class VertexExecutor(vertex_trainer.GenericExecutor):
  """Runs Executor in every replica of a Vertex AI CustomJob's worker pools.

  TFX's Vertex Trainer starts its own Trainer executor in the job; this one
  starts Executor, so the job's run_fn is told where the lists are too.
  """

  def _GetExecutorClass(self) -> type:
    return Executor


class RankingTrainer(base_component.BaseComponent):
  """Trains the ranking model on the ingested examples and the impression lists."""
  SPEC_CLASS = RankingTrainerSpec
  EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)

  def __init__(self, run_fn: str, examples: types.BaseChannel,
               impressions: types.BaseChannel,
               transform_graph: types.BaseChannel, schema: types.BaseChannel,
               train_args: trainer_pb2.TrainArgs,
               eval_args: trainer_pb2.EvalArgs, custom_config: dict,
               on_vertex: bool = False):
    """`on_vertex`: train in a Vertex AI CustomJob that custom_config
    describes (pipeline/configs.VertexTraining), not in the step itself."""
    super().__init__(custom_executor_spec=executor_spec.ExecutorClassSpec(
        VertexExecutor) if on_vertex else None, spec=RankingTrainerSpec(
        examples=examples, impressions=impressions,
        transform_graph=transform_graph, schema=schema,
        train_args=train_args, eval_args=eval_args, run_fn=run_fn,
        custom_config=json_utils.dumps(custom_config),
        model=types.Channel(type=standard_artifacts.Model),
        model_run=types.Channel(type=standard_artifacts.ModelRun)))
