"""The closing summary of a run, read back from ML Metadata."""

import dataclasses

from ml_metadata.proto import metadata_store_pb2

from components import retrieval_evaluator
from components import two_stage_evaluator
from contract import paths
from reporting import run_record
from reporting import tfma_results

RETRIEVAL_METRICS = ('hr@10', 'hr@50', 'hr@100', 'ndcg@10')
TWO_STAGE_METRICS = ('hr@10', 'hr@50', 'ndcg@10',
                     two_stage_evaluator.LIKED_HIT_RATE)


@dataclasses.dataclass(frozen=True)
class RunSummary:
  """What a user wants to know when a run ends."""
  blessed: bool
  metrics: dict[str, float]
  # Change of each metric against the last blessed model, when there was one.
  changes: dict[str, float]
  pushed_model: str | None
  retrieval_blessed: bool = False
  retrieval_metrics: dict[str, float] = dataclasses.field(default_factory=dict)
  retrieval_popularity_metrics: dict[str, float] = dataclasses.field(
      default_factory=dict)
  retrieval_pushed_model: str | None = None
  # The ranking stage: each metric's two-stage and retrieval-alone figures.
  two_stage_blessed: bool = False
  two_stage_metrics: dict[str, tuple[float, float]] = dataclasses.field(
      default_factory=dict)


def _metric_names(values: dict[tuple[str, str], float]) -> dict[str, float]:
  """(output, metric) keys as the `head/metric` names the summary prints."""
  return {f'{output}/{name}' if output else name: value
          for (output, name), value in values.items()}


def _pushed_to(pushed: metadata_store_pb2.Artifact | None) -> str | None:
  if pushed is None or not pushed.custom_properties['pushed'].int_value:
    return None
  return pushed.custom_properties['pushed_destination'].string_value


def read_summary(metadata_path: str) -> RunSummary:
  """The blessings, evaluation metrics and pushes of the store's latest run."""
  run = run_record.read_run(metadata_path)
  results = tfma_results.read_run_evaluation(run)
  retrieval_evaluation = run.output(paths.RETRIEVAL_EVALUATOR, 'evaluation')
  retrieval = (retrieval_evaluator.read_metrics(retrieval_evaluation.uri)
               if retrieval_evaluation else {})
  two_stage_evaluation = run.output(paths.TWO_STAGE_EVALUATOR, 'evaluation')
  two_stage = (two_stage_evaluator.read_metrics(two_stage_evaluation.uri)
               if two_stage_evaluation else {})
  return RunSummary(
      blessed=bool(run.blessed(paths.EVALUATOR)),
      metrics=_metric_names(results.candidate.get(tfma_results.OVERALL, {})
                            if results else {}),
      changes=_metric_names(results.changes if results else {}),
      pushed_model=_pushed_to(run.output(paths.PUSHER, 'pushed_model')),
      retrieval_blessed=bool(run.blessed(paths.RETRIEVAL_EVALUATOR)),
      retrieval_metrics={name: retrieval[name] for name in RETRIEVAL_METRICS
                         if name in retrieval},
      retrieval_popularity_metrics={
          name: value for name, value in retrieval.get(
              retrieval_evaluator.POPULARITY, {}).items()},
      retrieval_pushed_model=_pushed_to(
          run.output(paths.RETRIEVAL_PUSHER, 'pushed_model')),
      two_stage_blessed=bool(run.blessed(paths.TWO_STAGE_EVALUATOR)),
      two_stage_metrics={
          name: (two_stage[two_stage_evaluator.TWO_STAGE][name],
                 two_stage[two_stage_evaluator.RETRIEVAL][name])
          for name in TWO_STAGE_METRICS if two_stage})


def _yes_no(flag: bool) -> str:
  return 'yes' if flag else 'no'


def format_summary(summary: RunSummary) -> str:
  """Lines for the terminal: the ranking model, then the retrieval model."""
  lines = ['Model blessed: ' + _yes_no(summary.blessed)]
  for name, value in sorted(summary.metrics.items()):
    line = f'  {name:<36} {value:10.4f}'
    if name in summary.changes:
      line += f'  ({summary.changes[name]:+.4f} vs last blessed model)'
    lines.append(line)
  if summary.two_stage_metrics:
    lines.append('Ranking stage blessed (retrieve, then rank, no worse than '
                 'retrieval alone): ' + _yes_no(summary.two_stage_blessed))
    for name, (ranked, alone) in summary.two_stage_metrics.items():
      lines.append(f'  {name:<36} {ranked:10.4f}  (retrieval alone: '
                   f'{alone:.4f})')
  lines.append('Pushed model: ' + (summary.pushed_model or
                                   'none (not blessed, nothing pushed)'))
  if summary.retrieval_metrics:
    lines.append('Retrieval model blessed: ' +
                 _yes_no(summary.retrieval_blessed))
    for name, value in summary.retrieval_metrics.items():
      line = f'  {name:<36} {value:10.4f}'
      if name in summary.retrieval_popularity_metrics:
        line += (f'  (popularity: '
                 f'{summary.retrieval_popularity_metrics[name]:.4f})')
      lines.append(line)
    lines.append('Pushed retrieval model: ' + (
        summary.retrieval_pushed_model or 'none (not blessed, nothing pushed)'))
  return '\n'.join(lines)
