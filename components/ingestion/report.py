"""The ingestion report, its one reader, and the reject-share gate."""

import json
from typing import Mapping

from apache_beam.io.filesystems import FileSystems

from components.ingestion import outputs
from components.ingestion import rules

TOP_RULES = 3


def build_report(data_format: str, split_protocol: str, history_length: int,
                 raters_length: int, lines_read: Mapping[str, int],
                 rule_counts: Mapping[str, int],
                 first_rejects: Mapping[str, tuple[str, int]],
                 split_rows: Mapping[str, int]) -> dict:
  """Lists every file read, rule and split, zeros included, so reports compare.

  `first_rejects` holds each broken rule's first (file, line), so an error
  can point at a line to fix. The lengths record how the run built its
  examples. Serving clients read
  them from the pushed model instead (contract/request_lengths.py): a run
  whose model was not blessed leaves an older model serving.
  """
  return {
      'data_format': data_format,
      'split_protocol': split_protocol,
      'history_length': history_length,
      'raters_length': raters_length,
      'lines_read': dict(sorted(lines_read.items())),
      'rejected_lines': sum(rule_counts.values()),
      'rejects': {rule: rule_counts.get(rule, 0) for rule in rules.RULES},
      'first_rejects': {rule: {'file': file, 'line': line}
                        for rule, (file, line) in sorted(first_rejects.items())},
      'rows': {split: split_rows.get(split, 0) for split in outputs.SPLITS},
  }


def read_report(report_uri: str) -> dict:
  """The report.json of an IngestionReport artifact, on any Beam filesystem."""
  with FileSystems.open(
      FileSystems.join(report_uri, outputs.REPORT_FILE)) as file:
    return json.loads(file.read())


def check_reject_share(report: Mapping, max_reject_share: float,
                       rejects_location: str) -> None:
  """Fails a run whose data is too broken for its examples to be trusted."""
  rejected = report['rejected_lines']
  total = sum(report['lines_read'].values())
  share = rejected / total
  if share <= max_reject_share:
    return
  top_rules = sorted(
      ((rule, count) for rule, count in report['rejects'].items() if count),
      key=lambda rule_count: (-rule_count[1], rule_count[0]))[:TOP_RULES]
  first = report['first_rejects']
  top = ', '.join(
      f"{rule}={count} (first: {first[rule]['file']} line "
      f"{first[rule]['line']})" for rule, count in top_rules)
  raise rules.IngestionError(
      f'Rejected {rejected} of {total} lines read ({share:.2%}), more than '
      f'max_reject_share {max_reject_share:.2%}; top rules: {top}; rejected '
      f'lines are in {rejects_location}')
