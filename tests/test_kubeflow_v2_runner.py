"""The Kubeflow V2 spec: every component, in the project's image, with its code.

Compile only: nothing here runs on Kubeflow or Vertex AI.
"""

import json
import os
import posixpath
import re
import shlex
from typing import NamedTuple

from apache_beam.options import pipeline_options
from google.auth import credentials
from google.cloud import aiplatform
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
import pytest
from tfx import v1 as tfx
from tfx.dsl.components.base import base_beam_component
from tfx.dsl.components.base import base_component
from tfx.extensions.google_cloud_ai_platform import constants as vertex_constants
from tfx.extensions.google_cloud_ai_platform.trainer import executor as vertex_trainer
from tfx.orchestration.kubeflow.v2 import compiler_utils
from tfx.utils import import_utils
from tfx.utils import name_utils
import yaml

from cli import main
from components import ranking_trainer
from contract import formats
from pipeline import configs
from pipeline import kubeflow_v2_runner
from pipeline import pipeline

PIPELINE_ROOT = 'gs://ytdnn-test/pipeline_root'
DATA_DIR = 'gs://ytdnn-test/ml-1m'
IMAGE = 'europe-docker.pkg.dev/ytdnn-test/ytdnn/ytdnn:test'
BEAM_ARGS = ['--runner=DataflowRunner', '--project=ytdnn-test',
             '--region=europe-west1', '--temp_location=gs://ytdnn-test/tmp']
DOCKERFILE = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'Dockerfile')
DEPLOY_DOC = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'docs',
    'deploy.md')
RUNNERS_SECTION = '### Beam on Dataflow, Flink or Spark'
# What each documented set of Beam args must configure: its runner and the
# options it sets (by Beam's option names), nothing more and nothing less.
DOCUMENTED_RUNNERS = {
    'Dataflow': ('DataflowRunner', {'project', 'region', 'temp_location',
                                    'sdk_container_image'}),
    'Flink': ('PortableRunner', {'job_endpoint', 'environment_type',
                                 'environment_config', 'sdk_container_image'}),
    'Spark': ('PortableRunner', {'job_endpoint', 'environment_type',
                                 'environment_config', 'sdk_container_image'}),
}


class Compiled(NamedTuple):
  pipeline: tfx.dsl.Pipeline  # what create_pipeline built for the runner
  job: dict  # the PipelineJob it wrote
  path: str


@pytest.fixture(scope='module')
def compiled(tmp_path_factory) -> Compiled:
  """Compiles once for every test of the JSON spec."""
  create_pipeline = pipeline.create_pipeline
  built = []

  def recording_create_pipeline(**kwargs) -> tfx.dsl.Pipeline:
    built.append(create_pipeline(**kwargs))
    return built[-1]

  output = str(tmp_path_factory.mktemp('kfp') / 'ytdnn.json')
  with pytest.MonkeyPatch.context() as patch:
    patch.setattr(pipeline, 'create_pipeline', recording_create_pipeline)
    assert kubeflow_v2_runner.compile_pipeline(
        output_file=output, pipeline_root=PIPELINE_ROOT, data_dir=DATA_DIR,
        image=IMAGE, beam_args=BEAM_ARGS) == output
  with open(output) as f:
    job = json.load(f)
  # The kfp SDK's own message: fails on anything that is not a PipelineJob.
  json_format.ParseDict(job, pipeline_spec_pb2.PipelineJob())
  return Compiled(built[0], job, output)


def _container(job: dict, name: str) -> dict:
  spec = job['pipelineSpec']
  label = spec['components'][name]['executorLabel']
  return spec['deploymentSpec']['executors'][label]['container']


def _constant(job: dict, task: str, parameter: str) -> str | float:
  return job['pipelineSpec']['root']['dag']['tasks'][task]['inputs'][
      'parameters'][parameter]['runtimeValue']['constant']


def test_every_component_of_the_pipeline_is_a_task(compiled):
  dsl_pipeline, job = compiled.pipeline, compiled.job
  expected = sorted(node.id for node in dsl_pipeline.components)
  assert sorted(job['pipelineSpec']['root']['dag']['tasks']) == expected
  assert sorted(job['pipelineSpec']['components']) == expected


def test_every_component_runs_its_executor_in_the_image(compiled):
  dsl_pipeline, job = compiled.pipeline, compiled.job
  components = [node for node in dsl_pipeline.components
                if isinstance(node, base_component.BaseComponent)]
  for component in components:
    container = _container(job, component.id)
    assert container['image'] == IMAGE
    class_path = container['args'][
        container['args'].index('--executor_class_path') + 1]
    assert class_path == name_utils.get_full_name(
        component.executor_spec.executor_class)
    # The container imports it by this path: it must be importable as is.
    import_utils.import_class_by_path(class_path)


def test_every_beam_component_gets_the_beam_args(compiled):
  dsl_pipeline, job = compiled.pipeline, compiled.job
  beam_components = [node.id for node in dsl_pipeline.components if isinstance(
      node, base_beam_component.BaseBeamComponent)]
  assert 'MovieLensIngestion' in beam_components
  for component_id in beam_components:
    assert _container(job, component_id)['args'][-len(BEAM_ARGS):] == BEAM_ARGS


def test_transform_and_trainer_code_is_the_installed_package(compiled):
  job = compiled.job
  assert _constant(job, 'Transform', 'preprocessing_fn') == (
      configs.PREPROCESSING_FN)
  assert _constant(job, 'Trainer', 'run_fn') == configs.RUN_FN
  assert _constant(job, 'RetrievalTrainer', 'run_fn') == (
      configs.RETRIEVAL_RUN_FN)


def test_paths_are_the_platform_paths(compiled):
  dsl_pipeline, job = compiled.pipeline, compiled.job
  assert dsl_pipeline.metadata_connection_config is None
  assert job['pipelineSpec']['pipelineInfo']['name'] == configs.PIPELINE_NAME
  assert job['runtimeConfig']['gcsOutputDirectory'] == PIPELINE_ROOT
  assert _constant(job, 'MovieLensIngestion', 'data_dir') == DATA_DIR
  assert _constant(job, 'CuratedSchema', 'schema_file') == (
      kubeflow_v2_runner.IMAGE_SCHEMA_PATH)
  assert json.loads(_constant(job, 'Pusher', 'push_destination')) == {
      'filesystem': {'base_directory': PIPELINE_ROOT + '/serving_model/ranking'}}


def test_every_artifact_type_resolves_in_the_container(compiled):
  """The container rebuilds each artifact's class from its schema title."""
  job = compiled.job
  for component in job['pipelineSpec']['components'].values():
    outputs = component.get('outputDefinitions', {}).get('artifacts', {})
    for artifact in outputs.values():
      title = yaml.safe_load(artifact['artifactType']['instanceSchema'])['title']
      import_utils.import_class_by_path(
          compiler_utils.TITLE_TO_CLASS_PATH.get(title, title))


def test_vertex_ai_loads_the_json_with_its_pipeline_root(compiled):
  job = aiplatform.PipelineJob(
      display_name=configs.PIPELINE_NAME, template_path=compiled.path,
      project='ytdnn-test', location='europe-west1',
      credentials=credentials.AnonymousCredentials())
  assert job.pipeline_spec['pipelineInfo']['name'] == configs.PIPELINE_NAME
  assert job.runtime_config.gcs_output_directory == PIPELINE_ROOT


def test_a_yaml_output_is_the_bare_pipeline_spec(tmp_path, compiled):
  job = compiled.job
  output = kubeflow_v2_runner.compile_pipeline(
      output_file=str(tmp_path / 'ytdnn.yaml'), pipeline_root=PIPELINE_ROOT,
      data_dir=DATA_DIR, image=IMAGE, beam_args=BEAM_ARGS)
  with open(output) as f:
    spec = json_format.ParseDict(yaml.safe_load(f),
                                 pipeline_spec_pb2.PipelineSpec())
  assert sorted(spec.root.dag.tasks) == sorted(
      job['pipelineSpec']['root']['dag']['tasks'])


@pytest.mark.parametrize('target', kubeflow_v2_runner.TARGETS)
def test_each_target_is_a_2_1_spec_of_containers_wired_by_real_tasks(
    tmp_path, target):
  output = kubeflow_v2_runner.compile_pipeline(
      output_file=str(tmp_path / 'ytdnn.json'), pipeline_root=PIPELINE_ROOT,
      data_dir=DATA_DIR, image=IMAGE, beam_args=BEAM_ARGS, target=target)
  with open(output) as f:
    spec = json.load(f)['pipelineSpec']
  # The self-hosted API server takes 2.1.0 only; Vertex AI takes both.
  assert spec['schemaVersion'] == '2.1.0'
  executors = spec['deploymentSpec']['executors'].values()
  # No resolver (an ML Metadata query only Vertex AI runs), no lifecycle hook.
  assert all(list(executor) == ['container'] for executor in executors)
  assert not any('lifecycle' in executor['container']
                 for executor in executors)
  tasks = spec['root']['dag']['tasks']
  producers = {source['taskOutputArtifact']['producerTask']
               for task in tasks.values()
               for source in task.get('inputs', {}).get('artifacts',
                                                        {}).values()}
  assert producers and producers <= set(tasks)
  assert {tuple(executor['container']['command']) for executor in executors
          } == {tuple(kubeflow_v2_runner.TARGET_COMMANDS[target])}


def test_the_cli_compiles_with_its_flags(tmp_path, capsys):
  output = tmp_path / 'ytdnn.json'
  assert main.main([
      'compile-kfp', '--output', str(output), '--pipeline-root', PIPELINE_ROOT,
      '--data-dir', DATA_DIR, '--image', IMAGE,
      '--serving-models-dir', 'gs://ytdnn-test/serving', '--target', 'kubeflow',
      '--beam-arg=--runner=DataflowRunner', '--beam-arg=--project=ytdnn-test',
  ]) == 0
  assert str(output) in capsys.readouterr().out
  job = json.loads(output.read_text())
  assert _container(job, 'Transform')['args'][-2:] == [
      '--runner=DataflowRunner', '--project=ytdnn-test']
  assert json.loads(_constant(job, 'Pusher', 'push_destination')) == {
      'filesystem': {'base_directory': 'gs://ytdnn-test/serving/ranking'}}
  assert json.loads(_constant(job, 'RetrievalPusher', 'push_destination')) == {
      'filesystem': {'base_directory': 'gs://ytdnn-test/serving/retrieval'}}


def test_the_image_holds_the_schema_where_the_spec_reads_it():
  with open(DOCKERFILE) as f:
    dockerfile = f.read()
  workdir = re.search(r'^WORKDIR (\S+)$', dockerfile, re.MULTILINE).group(1)
  assert re.search(r'^COPY contract contract$', dockerfile, re.MULTILINE)
  assert kubeflow_v2_runner.IMAGE_SCHEMA_PATH == posixpath.join(
      workdir, 'contract', 'schema.pbtxt')


def _documented_beam_args() -> dict[str, list[str]]:
  """The --beam-arg values of each runner's compile command in deploy.md.

  Read from the document itself, so the commands users copy are the ones
  tested.
  """
  with open(DEPLOY_DOC) as f:
    section = f.read().split(f'{RUNNERS_SECTION}\n', 1)[1].split('\n### ', 1)[0]
  documented = {}
  for subsection in section.split('\n#### ')[1:]:
    title, body = subsection.split('\n', 1)
    command = re.search(r'```sh\n(.*?)```', body, re.DOTALL).group(1)
    words = shlex.split(command.replace('\\\n', ' '))
    assert 'compile-kfp' in words
    documented[title] = [word.removeprefix('--beam-arg=') for word in words
                         if word.startswith('--beam-arg=')]
  return documented


def test_the_documented_beam_args_configure_their_runner():
  documented = _documented_beam_args()
  assert set(documented) == set(DOCUMENTED_RUNNERS)
  for title, beam_args in documented.items():
    runner, option_names = DOCUMENTED_RUNNERS[title]
    options = pipeline_options.PipelineOptions(beam_args)
    parsed = options.get_all_options(drop_default=True)
    unknown = set(options.get_all_options(
        drop_default=True, retain_unknown_options=True)) - set(parsed)
    assert not unknown, f'{title}: Beam does not know {unknown}'
    assert parsed.pop('runner') == runner
    assert set(parsed) == option_names, title
    if runner == 'DataflowRunner':
      assert parsed['temp_location'].startswith('gs://')
    else:
      assert re.fullmatch(r'[\w.-]+:\d+', parsed['job_endpoint'])
      assert parsed['environment_type'] in ('DOCKER', 'PROCESS', 'EXTERNAL')


def test_compile_kfp_puts_each_documented_arg_set_on_every_beam_step(
    tmp_path, compiled):
  beam_components = [node.id for node in compiled.pipeline.components
                     if isinstance(node, base_beam_component.BaseBeamComponent)]
  for title, beam_args in _documented_beam_args().items():
    output = tmp_path / f'{title}.json'
    assert main.main([
        'compile-kfp', '--output', str(output), '--pipeline-root',
        PIPELINE_ROOT, '--data-dir', DATA_DIR, '--image', IMAGE,
        *[f'--beam-arg={arg}' for arg in beam_args]]) == 0
    job = json.loads(output.read_text())
    for component_id in beam_components:
      assert _container(job, component_id)['args'][-len(beam_args):] == (
          beam_args), (title, component_id)


def test_trainer_workers_compile_vertex_worker_pools(tmp_path):
  output = kubeflow_v2_runner.compile_pipeline(
      output_file=str(tmp_path / 'pools.json'), pipeline_root=PIPELINE_ROOT,
      data_dir=DATA_DIR, image=IMAGE, beam_args=BEAM_ARGS,
      data_format=formats.CSV.name,
      vertex_training=configs.VertexTraining(
          project='my-project', region='europe-west4', image=IMAGE,
          workers=3))
  with open(output) as f:
    job = json.load(f)
  trainers = {'Trainer': ranking_trainer.VertexExecutor,
              'RetrievalTrainer': vertex_trainer.GenericExecutor,
              'ImpressionRetrievalTrainer': vertex_trainer.GenericExecutor}
  for task, executor_class in trainers.items():
    args = _container(job, task)['args']
    assert args[args.index('--executor_class_path') + 1] == (
        name_utils.get_full_name(executor_class))
    custom_config = json.loads(_constant(job, task, 'custom_config'))
    assert custom_config[vertex_constants.ENABLE_VERTEX_KEY] is True
    assert custom_config[vertex_constants.VERTEX_REGION_KEY] == 'europe-west4'
    training_args = custom_config[vertex_trainer.TRAINING_ARGS_KEY]
    assert training_args['project'] == 'my-project'
    assert [(pool['replica_count'], pool['container_spec']['image_uri'])
            for pool in training_args['worker_pool_specs']] == [
                (1, IMAGE), (2, IMAGE)]
    assert custom_config[formats.CUSTOM_CONFIG_KEY] == formats.CSV.name
  # The job's replicas run the ranking Trainer's own executor.
  assert ranking_trainer.VertexExecutor()._GetExecutorClass() is (
      ranking_trainer.Executor)


def test_worker_pools_are_refused_for_kubeflow(tmp_path):
  with pytest.raises(ValueError, match='worker pools are Vertex AI'):
    kubeflow_v2_runner.compile_pipeline(
        output_file=str(tmp_path / 'pools.json'),
        pipeline_root=PIPELINE_ROOT, data_dir=DATA_DIR, image=IMAGE,
        beam_args=BEAM_ARGS, target=kubeflow_v2_runner.KUBEFLOW,
        vertex_training=configs.VertexTraining(
            project='p', region='r', image=IMAGE, workers=2))


def test_trainer_workers_are_at_most_the_train_splits_files(tmp_path, capsys):
  assert main.main(['compile-kfp', '--output', str(tmp_path / 'spec.json'),
                    '--pipeline-root', PIPELINE_ROOT, '--data-dir', DATA_DIR,
                    '--image', IMAGE, '--trainer-workers', '9',
                    '--project', 'p', '--region', 'r']) == 1
  assert '--trainer-workers is at most 8' in capsys.readouterr().err
  assert not (tmp_path / 'spec.json').exists()


def test_trainer_workers_need_a_project_and_a_region(tmp_path, capsys):
  assert main.main(['compile-kfp', '--output', str(tmp_path / 'spec.json'),
                    '--pipeline-root', PIPELINE_ROOT, '--data-dir', DATA_DIR,
                    '--image', IMAGE, '--trainer-workers', '2']) == 1
  assert ('--trainer-workers needs --project and --region'
          in capsys.readouterr().err)
  assert not (tmp_path / 'spec.json').exists()
