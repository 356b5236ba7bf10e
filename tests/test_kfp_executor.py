"""The `kubeflow` target's spec, executed here step by step with no cluster.

Each task of the compiled spec runs as its own process with the spec's own
container command, `{{$}}` replaced by the executor input a KFP driver would
build, in dependency order, on the tiny sample. Input artifacts get an empty
type schema, as the self-hosted backend gives them, so pipeline/kfp_executor.py
must repair them for any step to run. The pipeline root, the data and the
serving directories are in a bucket of an S3 server on loopback (moto), as a
self-hosted deployment keeps them in MinIO. What a cluster adds and this does
not: the image, the pods and the backend's own driver. The other repair, of
GCS directory markers, runs against a GCS emulator on loopback.

This process itself reads the bucket through boto3 only: TensorFlow's S3
filesystem would abort it on exit (tensorflow/io#2039, see kfp_executor).
"""

from concurrent import futures
import json
import os
import socket
import subprocess
import sys
import time

import boto3
from gcp_storage_emulator import server as gcs_server
from google.cloud import storage
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
import pytest

from conftest import make_tiny_sample
from contract import formats
from contract import paths
from contract import splits
from models import hyperparameters
from pipeline import kfp_executor
from pipeline import kubeflow_v2_runner
from serving import scoring

# One process per step: the in-process Beam runner, as `ytdnn run` uses.
BEAM_ARGS = ['--direct_running_mode=in_memory', '--direct_num_workers=1']
STEP_TIMEOUT_S = 600
# Steps run at once when their dependencies allow: this machine's 2 cores.
PARALLEL_STEPS = 2
S3_BUCKET = 'ytdnn-test'

INPUTS_SPEC = json.dumps({'artifacts': {'examples': {'artifactType': {
    'instanceSchema': 'title: tfx.Examples\ntype: object\n'}}}})


def _invocation(artifact_type: dict | None) -> str:
  artifact = {'name': 'examples-1', 'uri': '/root/examples/1'}
  if artifact_type is not None:
    artifact['type'] = artifact_type
  return json.dumps({'inputs': {'artifacts': {'examples': {
      'artifacts': [artifact]}}}})


def _input_type(invocation: str) -> pipeline_spec_pb2.ArtifactTypeSchema:
  executor_input = json_format.Parse(invocation,
                                     pipeline_spec_pb2.ExecutorInput())
  return executor_input.inputs.artifacts['examples'].artifacts[0].type


@pytest.mark.parametrize('empty_type', [None, {'instanceSchema': ''},
                                        {'schemaTitle': ''}])
def test_an_empty_input_type_is_filled_from_the_inputs_spec(empty_type):
  filled = kfp_executor.with_input_types(_invocation(empty_type), INPUTS_SPEC)
  assert _input_type(filled).instance_schema.startswith('title: tfx.Examples')


def test_a_given_input_type_is_kept():
  given = {'schemaTitle': 'tfx.Examples'}
  filled = kfp_executor.with_input_types(_invocation(given), INPUTS_SPEC)
  assert _input_type(filled).schema_title == 'tfx.Examples'


@pytest.mark.parametrize('separate', [True, False])
def test_the_invocation_flag_is_repaired_in_either_spelling(separate):
  invocation = _invocation(None)
  flag = kfp_executor.INVOCATION_FLAG
  argv = (['prog', '--executor_class_path', 'a.B'] +
          ([flag, invocation] if separate else [f'{flag}={invocation}']) +
          [kfp_executor.INPUTS_SPEC_FLAG, INPUTS_SPEC, '--runner=X'])
  repaired = kfp_executor.repaired_argv(argv)
  value = (repaired[4] if separate else repaired[3].split('=', 1)[1])
  assert _input_type(value).instance_schema.startswith('title: tfx.Examples')
  assert repaired[-1] == '--runner=X' and len(repaired) == len(argv)


def test_artifact_uris_are_read_from_each_side_of_the_executor_input():
  invocation = json.dumps({
      'inputs': {'artifacts': {'examples': {'artifacts': [
          {'name': 'examples-1', 'uri': 's3://b/root/examples/1'}]}}},
      'outputs': {'artifacts': {
          'model': {'artifacts': [{'name': 'model-5',
                                   'uri': 'gs://b/root/model/5'}]},
          'model_run': {'artifacts': [{'name': 'run-5',
                                       'uri': '/local/run/5'}]}}}})
  assert sorted(kfp_executor.artifact_uris(invocation, 'outputs')) == [
      '/local/run/5', 'gs://b/root/model/5']
  assert kfp_executor.artifact_uris(invocation, 'inputs') == [
      's3://b/root/examples/1']


def _free_port() -> int:
  with socket.socket() as probe:
    probe.bind(('127.0.0.1', 0))
    return probe.getsockname()[1]


@pytest.fixture(name='gcs_client')
def fixture_gcs_client(monkeypatch):
  """A client of a GCS emulator on loopback, with an empty bucket 'pipelines'."""
  port = _free_port()
  emulator = gcs_server.create_server('127.0.0.1', port, in_memory=True,
                                      default_bucket='pipelines')
  emulator.start()
  monkeypatch.setenv('STORAGE_EMULATOR_HOST', f'http://127.0.0.1:{port}')
  try:
    yield storage.Client(project='test')
  finally:
    emulator.stop()


def test_directory_markers_under_an_output_are_removed_and_files_kept(
    gcs_client):
  bucket = gcs_client.bucket('pipelines')
  markers = ['root/Trainer/model/5/', 'root/Trainer/model/5/Format-Serving/',
             'root/Trainer/model/5/Format-Serving/variables/']
  files = {'root/Trainer/model/5/Format-Serving/saved_model.pb': b'graph',
           'root/Trainer/model/5/Format-Serving/assets/empty.txt': b''}
  elsewhere = ['root/Trainer/model/50/', 'root/Trainer/model_run/5/']
  for name in markers + elsewhere:
    bucket.blob(name).upload_from_string(b'')
  for name, content in files.items():
    bucket.blob(name).upload_from_string(content)

  removed = kfp_executor.remove_directory_markers(
      'gs://pipelines/root/Trainer/model/5', gcs_client)

  assert sorted(removed) == sorted(markers)
  assert sorted(blob.name for blob in gcs_client.list_blobs('pipelines')) == (
      sorted([*files, *elsewhere]))


@pytest.fixture(name='s3_bucket')
def fixture_s3_bucket(monkeypatch):
  """An empty bucket of an S3 server on loopback, as `s3://...`.

  The environment points both TensorFlow's S3 filesystem (tensorflow-io) and
  Beam's (boto3) at the server, as docs/deploy.md says to point them at MinIO.
  The steps inherit it.
  """
  port = _free_port()
  endpoint = f'http://127.0.0.1:{port}'
  server = subprocess.Popen(
      [sys.executable, '-m', 'moto.server', '-H', '127.0.0.1', '-p',
       str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  for name, value in {'AWS_ACCESS_KEY_ID': 'test',
                      'AWS_SECRET_ACCESS_KEY': 'test',
                      'AWS_REGION': 'us-east-1',
                      'AWS_ENDPOINT_URL': endpoint,
                      'S3_ENDPOINT': endpoint,
                      'S3_USE_HTTPS': '0',
                      'S3_VERIFY_SSL': '0'}.items():
    monkeypatch.setenv(name, value)
  try:
    client = boto3.client('s3')
    for _ in range(100):
      try:
        client.create_bucket(Bucket=S3_BUCKET)
        break
      except Exception:  # pylint: disable=broad-except
        assert server.poll() is None, 'the S3 server did not start'
        time.sleep(0.1)
    yield f's3://{S3_BUCKET}'
  finally:
    server.terminate()
    server.wait()


def _split_s3_uri(uri: str) -> tuple[str, str]:
  bucket, _, key = uri[len('s3://'):].partition('/')
  return bucket, key


def _upload(local_dir: str, uri: str) -> None:
  """Copies a local directory's files to an s3:// prefix."""
  bucket, prefix = _split_s3_uri(uri)
  client = boto3.client('s3')
  for name in os.listdir(local_dir):
    client.upload_file(os.path.join(local_dir, name), bucket,
                       f'{prefix}/{name}')


def _download(uri: str, local_dir: str) -> str:
  """Copies every object under an s3:// prefix into local_dir; returns it."""
  bucket, prefix = _split_s3_uri(uri.rstrip('/'))
  client = boto3.client('s3')
  pages = client.get_paginator('list_objects_v2').paginate(
      Bucket=bucket, Prefix=prefix + '/')
  for page in pages:
    for item in page.get('Contents', []):
      if item['Key'].endswith('/'):
        continue
      path = os.path.join(local_dir, item['Key'][len(prefix) + 1:])
      os.makedirs(os.path.dirname(path), exist_ok=True)
      client.download_file(bucket, item['Key'], path)
  return local_dir


def _executor_input(task_name: str, task: dict, component: dict,
                    produced: dict, root: str, output_file: str) -> dict:
  """What the KFP driver hands a step: inputs as the backend stores them."""
  inputs = task.get('inputs', {})
  parameters = {name: value['runtimeValue']['constant']
                for name, value in inputs.get('parameters', {}).items()}
  artifacts = {}
  for name, source in inputs.get('artifacts', {}).items():
    output = source['taskOutputArtifact']
    artifact = dict(produced[output['producerTask'],
                             output['outputArtifactKey']])
    artifact.pop('type')  # the self-hosted backend's empty type schema
    artifacts[name] = {'artifacts': [artifact]}
  outputs = {
      key: {'artifacts': [{
          'name': f'{task_name}-{key}',
          'type': definition['artifactType'],
          'uri': os.path.join(root, task_name, key, '1'),
      }]}
      for key, definition in component.get('outputDefinitions', {}).get(
          'artifacts', {}).items()}
  return {'inputs': {'parameterValues': parameters, 'artifacts': artifacts},
          'outputs': {'artifacts': outputs, 'outputFile': output_file}}


def _run_step(name: str, spec: dict, executor_input: dict) -> dict:
  """Runs one task's container command; returns its output artifacts by key."""
  component = spec['components'][
      spec['root']['dag']['tasks'][name]['componentRef']['name']]
  container = spec['deploymentSpec']['executors'][
      component['executorLabel']]['container']
  command = [sys.executable if part == 'python' else part
             for part in container['command']] + [
                 json.dumps(executor_input) if arg == '{{$}}' else arg
                 for arg in container['args']]
  step = subprocess.run(command, capture_output=True, text=True,
                        timeout=STEP_TIMEOUT_S, check=False)
  assert step.returncode == 0, f'{name} failed:\n{step.stderr[-3000:]}'
  with open(executor_input['outputs']['outputFile']) as f:
    written = json.load(f).get('artifacts', {})
  outputs = {}
  for key, declared in executor_input['outputs']['artifacts'].items():
    artifact = declared['artifacts'][0]
    artifact.update(written.get(key, {}).get('artifacts', [{}])[0])
    outputs[key] = artifact
  return outputs


def _run_spec(job: dict, root: str, local_dir: str) -> dict:
  """Runs every task once its dependencies are done, as the KFP driver does.

  Independent tasks (the two Trainers, say) run at the same time. Each step
  writes its executor output to a local file under local_dir, as in a pod.
  Returns each output artifact by (task, key).
  """
  spec = job['pipelineSpec']
  tasks = spec['root']['dag']['tasks']
  produced, done, running = {}, set(), {}
  with futures.ThreadPoolExecutor(max_workers=PARALLEL_STEPS) as pool:
    while len(done) < len(tasks):
      for name in sorted(set(tasks) - done - set(running)):
        if set(tasks[name].get('dependentTasks', [])) <= done:
          component = spec['components'][tasks[name]['componentRef']['name']]
          running[name] = pool.submit(
              _run_step, name, spec,
              _executor_input(name, tasks[name], component, produced, root,
                              os.path.join(local_dir, f'{name}.json')))
      assert running, f'a cycle among {set(tasks) - done}'
      finished, _ = futures.wait(running.values(),
                                 return_when=futures.FIRST_COMPLETED)
      for name in [n for n, step in running.items() if step in finished]:
        outputs = running.pop(name).result()
        produced.update({(name, key): artifact
                         for key, artifact in outputs.items()})
        done.add(name)
  return produced


def test_the_kubeflow_spec_runs_step_by_step_on_s3_and_pushes_a_model(
    tmp_path, s3_bucket):
  data_dir, root = f'{s3_bucket}/data', f'{s3_bucket}/root'
  serving_dir = f'{s3_bucket}/serving'
  make_tiny_sample(str(tmp_path / 'data'))
  _upload(str(tmp_path / 'data'), data_dir)
  spec_file = kubeflow_v2_runner.compile_pipeline(
      output_file=str(tmp_path / 'ytdnn.json'), pipeline_root=root,
      data_dir=data_dir, image='unused', beam_args=BEAM_ARGS,
      target=kubeflow_v2_runner.KUBEFLOW, serving_models_dir=serving_dir,
      schema_path=paths.SCHEMA_PATH,
      model_config=hyperparameters.ModelConfig(epochs=3, batch_size=128,
                                               ensemble_size=1))
  with open(spec_file) as f:
    produced = _run_spec(json.load(f), root, str(tmp_path))

  for evaluator in ('Evaluator', 'TwoStageEvaluator'):
    assert produced[evaluator, 'blessing']['metadata']['blessed'] == 1
  model_dir = scoring.latest_pushed_model(_download(
      f'{serving_dir}/{paths.RANKING_MODEL}', str(tmp_path / 'ranking')))
  eval_split = _download(paths.split_dir(
      produced['MovieLensIngestion', 'examples']['uri'], splits.EVAL_SPLIT),
                         str(tmp_path / 'eval'))
  rows = scoring.read_rows(eval_split)[:32]
  scores = scoring.score(scoring.load_serving_fn(model_dir),
                         scoring.serialize_rows(rows, scoring.load_schema(formats.ML_1M)))
  assert scores['rating'].shape == (len(rows), 1)
  assert os.listdir(_download(f'{serving_dir}/{paths.RETRIEVAL_MODEL}',
                              str(tmp_path / 'retrieval')))
