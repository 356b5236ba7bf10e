"""TFX executor of the MovieLens ingestion: runs the Beam graph, then gates."""

import os
from typing import Any

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
import tensorflow_data_validation as tfdv
from tfx import types
from tfx.components.example_gen import write_split
from tfx.components.util import examples_utils
from tfx.dsl.components.base import base_beam_executor
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils

from components import curated_schema
from components.ingestion import ingest
from components.ingestion import input_files
from components.ingestion import outputs
from components.ingestion import report
from contract import formats
from contract import splits

# Keys of the component spec, shared with component.py.
DATA_DIR_KEY = 'data_dir'
DATA_FORMAT_KEY = 'data_format'
SPLIT_PROTOCOL_KEY = 'split_protocol'
HISTORY_LENGTH_KEY = 'history_length'
RATERS_LENGTH_KEY = 'raters_length'
MAX_REJECT_SHARE_KEY = 'max_reject_share'
DATA_FINGERPRINT_KEY = 'data_fingerprint'
SCHEMA_KEY = 'schema'
EXAMPLES_KEY = 'examples'
REPORT_KEY = 'report'


def check_parameters(split_protocol: str, history_length: int,
                     raters_length: int, max_reject_share: float) -> None:
  """Fails at pipeline definition, not after a Beam job, on a bad setting."""
  if split_protocol not in splits.SPLIT_PROTOCOLS:
    raise ValueError(f'split_protocol must be one of '
                     f'{splits.SPLIT_PROTOCOLS}, got {split_protocol!r}')
  if history_length < 1:
    raise ValueError(f'history_length must be >= 1, got {history_length}')
  if raters_length < 1:
    raise ValueError(f'raters_length must be >= 1, got {raters_length}')
  if not 0 <= max_reject_share <= 1:
    raise ValueError(
        f'max_reject_share must be in [0, 1], got {max_reject_share}')


class Executor(base_beam_executor.BaseBeamExecutor):
  """Writes train/eval Examples, and rejects and a report beside them."""

  def Do(self, input_dict: dict[str, list[types.Artifact]],
         output_dict: dict[str, list[types.Artifact]],
         exec_properties: dict[str, Any]) -> None:
    self._log_startup(input_dict, output_dict, exec_properties)
    split_protocol = exec_properties[SPLIT_PROTOCOL_KEY]
    history_length = exec_properties[HISTORY_LENGTH_KEY]
    raters_length = exec_properties[RATERS_LENGTH_KEY]
    max_reject_share = exec_properties[MAX_REJECT_SHARE_KEY]
    check_parameters(split_protocol, history_length, raters_length,
                     max_reject_share)
    schema = artifact_utils.get_single_instance(input_dict[SCHEMA_KEY])
    examples = artifact_utils.get_single_instance(output_dict[EXAMPLES_KEY])
    ingestion_report = artifact_utils.get_single_instance(
        output_dict[REPORT_KEY])

    # The raw files are checked before the Beam pipeline exists, and Beam's
    # S3 filesystem takes its client settings from the pipeline's options.
    FileSystems.set_options(PipelineOptions(self._beam_pipeline_args or []))
    files = input_files.check_input_files(
        exec_properties[DATA_DIR_KEY],
        formats.by_name(exec_properties[DATA_FORMAT_KEY]))
    feature_types = outputs.feature_types(tfdv.load_schema_text(
        os.path.join(schema.uri, curated_schema.SCHEMA_FILE)))
    with self._make_beam_pipeline() as pipeline:
      ingest.ingest(pipeline, files, split_protocol, history_length,
                    raters_length,
                    feature_types, examples.uri, ingestion_report.uri)

    run_report = report.read_report(ingestion_report.uri)
    report.check_reject_share(
        run_report, max_reject_share,
        FileSystems.join(ingestion_report.uri, outputs.REJECTS_DIR,
                         f'{outputs.REJECTS_PREFIX}-*.tsv'))
    examples.split_names = artifact_utils.encode_split_names(
        list(outputs.SPLITS))
    examples_utils.set_payload_format(examples,
                                      example_gen_pb2.FORMAT_TF_EXAMPLE)
    examples_utils.set_file_format(examples, write_split.to_file_format_str(
        example_gen_pb2.FORMAT_TFRECORDS_GZIP))
    for artifact in (examples, ingestion_report):
      artifact.set_string_custom_property('split_protocol', split_protocol)
      artifact.set_string_custom_property(DATA_FORMAT_KEY,
                                          files.data_format.name)
    ingestion_report.set_int_custom_property('rejected_lines',
                                             run_report['rejected_lines'])
    for split, rows in run_report['rows'].items():
      ingestion_report.set_int_custom_property(f'{split}_rows', rows)
