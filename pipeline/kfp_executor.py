"""The step entry point on self-hosted Kubeflow Pipelines: TFX's, repaired.

`ytdnn compile-kfp --target kubeflow` starts every step with
`python -m pipeline.kfp_executor` and TFX's own arguments. It runs TFX's
`kubeflow_v2_run_executor` with two repairs, one before it and one after:

- Empty input artifact types (tensorflow/tfx#7768). The self-hosted backend
  hands every input artifact an empty type schema
  (backend/src/v2/metadata/client.go writes `Schema: ""`), and TFX 1.16 reads
  the artifact's class from it: `yaml.safe_load('')` gives None and the first
  consumer of any artifact crashes. The inputs spec that TFX compiled into the
  step's own arguments (`--json_serialized_inputs_spec_args`) declares each
  input's type, so empty ones are filled from it.
- GCS directory markers (kubeflow/pipelines#13476). TensorFlow's GCS
  filesystem marks every directory it creates with a zero-byte object named
  `<directory>/`. The self-hosted launcher downloads each input artifact of
  the next step, turns that object into a file path ending in `/`, and fails
  with `mkdir ...: not a directory`: a SavedModel, with its `variables/` and
  `assets/`, never reaches the Evaluator or the Pushers. So once the executor
  has finished, the markers under its gs:// output artifacts are deleted.

It also lets a step read and write `s3://` (MinIO, S3): importing
tensorflow-io registers TensorFlow's S3 filesystem, and Beam's comes with
`apache-beam[aws]`. Both read the endpoint and credentials from the
environment (docs/deploy.md). A step with artifacts on S3 ends with
`os._exit` once everything is written (tensorflow/io#2039): with
tensorflow-io 0.37.1, the last release for TF 2.16, a process that has used
the S3 filesystem aborts in a C++ destructor on its way out ("pure virtual
method called", exit code 134), which would fail a step whose work is done.
The fix (tensorflow/io#2120) is merged but not released.

Importing `contract` first also selects Keras 2 before TFX loads tf.keras.
"""

import contract  # pylint: disable=unused-import,g-bad-import-order

import argparse
import logging
import os
import sys

from absl import app
from google.cloud import storage
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
import tensorflow_io  # pylint: disable=unused-import  # registers s3://
from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_run_executor

INVOCATION_FLAG = '--json_serialized_invocation_args'
INPUTS_SPEC_FLAG = '--json_serialized_inputs_spec_args'
GCS_SCHEME = 'gs://'
S3_SCHEME = 's3://'


def with_input_types(invocation: str, inputs_spec: str) -> str:
  """The executor input with every empty input artifact type filled from the spec."""
  executor_input = json_format.Parse(
      invocation, pipeline_spec_pb2.ExecutorInput(), ignore_unknown_fields=True)
  declared = json_format.Parse(
      inputs_spec, pipeline_spec_pb2.ComponentInputsSpec(),
      ignore_unknown_fields=True).artifacts
  for name, artifact_list in executor_input.inputs.artifacts.items():
    for artifact in artifact_list.artifacts:
      kind = artifact.type.WhichOneof('kind')
      if name in declared and not (kind and getattr(artifact.type, kind)):
        artifact.type.CopyFrom(declared[name].artifact_type)
  return json_format.MessageToJson(executor_input)


def _flag_value(argv: list[str], flag: str) -> int | None:
  """The index of a flag's value, given as `--flag value` or `--flag=value`."""
  for i, arg in enumerate(argv):
    if arg == flag and i + 1 < len(argv):
      return i + 1
    if arg.startswith(flag + '='):
      return i
  return None


def repaired_argv(argv: list[str]) -> list[str]:
  """TFX's arguments with the executor input's empty types filled."""
  invocation = _flag_value(argv, INVOCATION_FLAG)
  inputs_spec = _flag_value(argv, INPUTS_SPEC_FLAG)
  if invocation is None or inputs_spec is None:
    return argv

  def value(i: int) -> str:
    return argv[i].split('=', 1)[1] if argv[i].startswith('--') else argv[i]

  repaired = list(argv)
  filled = with_input_types(value(invocation), value(inputs_spec))
  repaired[invocation] = (f'{INVOCATION_FLAG}={filled}'
                          if argv[invocation].startswith('--') else filled)
  return repaired


def artifact_uris(invocation: str, side: str) -> list[str]:
  """The URIs of every artifact on one side ('inputs' or 'outputs')."""
  executor_input = json_format.Parse(
      invocation, pipeline_spec_pb2.ExecutorInput(), ignore_unknown_fields=True)
  return [artifact.uri
          for artifact_list in getattr(executor_input, side).artifacts.values()
          for artifact in artifact_list.artifacts]


def remove_directory_markers(uri: str, client: storage.Client) -> list[str]:
  """Deletes the zero-byte `.../` objects at and under a gs:// URI.

  Returns the names deleted. Files, empty ones included, are kept: only an
  object whose name ends in `/` is a marker.
  """
  bucket, _, path = uri[len(GCS_SCHEME):].partition('/')
  removed = []
  for blob in client.list_blobs(bucket, prefix=path.rstrip('/') + '/'):
    if blob.name.endswith('/') and blob.size == 0:
      blob.delete()
      removed.append(blob.name)
  return removed


def _exit_before_native_destructors() -> None:
  """Ends the process with status 0, skipping the destructors that abort it.

  Only called once the step's outputs and executor output are written; see
  the module docstring (tensorflow/io#2039).
  """
  logging.shutdown()
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(0)  # pylint: disable=protected-access


def main(parsed_argv: tuple[argparse.Namespace, list[str]]) -> None:
  """TFX's executor, then the markers under its gs:// outputs removed.

  A step that read or wrote artifacts on S3 then ends at once (see
  _exit_before_native_destructors).
  """
  kubeflow_v2_run_executor.main(parsed_argv)
  args, _ = parsed_argv
  invocation = args.json_serialized_invocation_args
  outputs = artifact_uris(invocation, 'outputs')
  gcs_outputs = [uri for uri in outputs if uri.startswith(GCS_SCHEME)]
  if gcs_outputs:
    client = storage.Client()
    for uri in gcs_outputs:
      remove_directory_markers(uri, client)
  if any(uri.startswith(S3_SCHEME)
         for uri in artifact_uris(invocation, 'inputs') + outputs):
    _exit_before_native_destructors()


if __name__ == '__main__':
  sys.argv = repaired_argv(sys.argv)
  app.run(main, flags_parser=kubeflow_v2_run_executor._parse_flags)  # pylint: disable=protected-access
