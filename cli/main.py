"""`ytdnn`: the command line of the project."""

import argparse
import dataclasses
import logging
import os
import resource
import sys
import time
import warnings

# The cli package has imported `contract`, which selects Keras 2 for TFX.
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
# Library chatter (deprecations, Python-version notices) is not for users.
warnings.filterwarnings('ignore')

# pylint: disable=g-import-not-at-top,wrong-import-position
from components.ingestion import ingestion_config
from components.ingestion import outputs
from components.ingestion import rules
from contract import errors
from contract import features
from contract import formats
from contract import paths
from contract import splits
from data import download
from models import hyperparameters
from models import training
from pipeline import configs


def positive_int(text: str) -> int:
  """An argparse type for counts and sizes: a whole number of at least 1."""
  value = int(text)
  if value < 1:
    raise argparse.ArgumentTypeError(f'must be at least 1, got {value}')
  return value


def share(text: str) -> float:
  """An argparse type for a weight between 0 and 1."""
  value = float(text)
  if not 0.0 <= value <= 1.0:
    raise argparse.ArgumentTypeError(f'must be from 0 to 1, got {value}')
  return value


def batch_size(text: str) -> int:
  """An argparse type for the ranking batch size: whole saved blocks."""
  value = positive_int(text)
  if value % training.BLOCK_SIZE:
    raise argparse.ArgumentTypeError(
        f'must be a multiple of {training.BLOCK_SIZE} (the Trainer reads its '
        f'examples in blocks of {training.BLOCK_SIZE}), got {value}')
  return value


# The model flags of `ytdnn run`, each a ModelConfig field of the same name;
# given, each overrides the preset's value.
MODEL_FLAGS = ('epochs', 'batch_size', 'ensemble_size', 'autorec_weight')


def pipeline_config(args: argparse.Namespace) -> configs.PipelineConfig:
  """The run's configuration: flags where given, else the preset's values."""
  preset = configs.PRESETS[args.preset]
  return configs.PipelineConfig(
      data_dir=os.path.abspath(args.data_dir),
      output_dir=os.path.abspath(args.output_dir),
      ingestion=ingestion_config.IngestionConfig(
          split_protocol=args.split_protocol,
          history_length=args.history_length,
          raters_length=args.raters_length,
          max_reject_share=args.max_reject_share),
      model=dataclasses.replace(preset.model, **{
          name: getattr(args, name) for name in MODEL_FLAGS
          if getattr(args, name) is not None}),
      retrieval=preset.retrieval,
      beam_args=tuple(args.beam_arg) if args.beam_arg else
      configs.DEFAULT_BEAM_ARGS)


def _quiet_libraries() -> None:
  """Library warnings (deprecations, progress) are not for users."""
  from absl import logging as absl_logging

  absl_logging.set_verbosity(absl_logging.ERROR)
  for logger in (logging.getLogger(), logging.getLogger('tensorflow')):
    logger.setLevel(logging.ERROR)


def _described_format(data_format: formats.DataFormat) -> str:
  """E.g. 'the csv format (no demographics, half stars)'."""
  scale = data_format.rating_scale
  return (f'the {data_format.name} format ('
          f'{"with" if data_format.has_demographics else "no"} demographics, '
          f'{"whole" if scale.whole_stars else "half"} stars)')


def _run(args: argparse.Namespace) -> None:
  from components.ingestion import input_files
  from pipeline import local_runner
  from reporting import html_report
  from reporting import progress
  from reporting import summary

  _quiet_libraries()
  config = pipeline_config(args)
  data_format = input_files.recognize_format(config.data_dir)
  print(f'Running the {configs.PIPELINE_NAME} pipeline on {config.data_dir}, '
        f'{_described_format(data_format)}, '
        f'{config.ingestion.split_protocol} split, into {config.output_dir}')
  timings = progress.RunProgress(config.metadata_path)
  timings.start()
  started = time.monotonic()
  try:
    local_runner.run(config)
  finally:
    timings.stop()
  wall = time.monotonic() - started
  print(summary.format_summary(summary.read_summary(config.metadata_path)))
  peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  print(f'Pipeline wall time {wall:.1f} s, peak RSS {peak_rss_mb:.0f} MB; '
        'per component: ' + ', '.join(
            f'{name} {seconds:.1f} s'
            for name, seconds in timings.durations.items()))
  report = html_report.write_report(config.metadata_path,
                                    paths.report_path(config.output_dir))
  print(f'Report: {report}')


def _report(args: argparse.Namespace) -> None:
  from reporting import html_report

  _quiet_libraries()
  path = html_report.write_report(paths.metadata_path(args.output_dir),
                                  args.output, args.run)
  print(f'Report written to {path}')


def _download(args: argparse.Namespace) -> None:
  release = download.release_named(args.dataset)
  files = download.download(release, args.data_dir, url=args.url)
  print(f'{release.name} verified in ' + ', '.join(files))


def _validate(args: argparse.Namespace) -> None:
  from components.ingestion import validate

  records = validate.read_valid_records(args.data_dir)
  validation = records.validation
  print(f'{args.data_dir} holds {_described_format(records.data_format)}')
  print(', '.join(f'{name}: {count} lines'
                  for name, count in validation.lines_read.items()))
  for rule, count in validation.counts().items():
    print(f'{rule}: {count} lines')
    shown = [r for r in validation.rejects if r.rule == rule][:args.show]
    for reject in shown:
      print(f'  {reject.file}:{reject.line}: {reject.rule}: {reject.text}')
  verdict = (f'Rejected {len(validation.rejects)} of '
             f'{sum(validation.lines_read.values())} lines '
             f'({validation.share:.4%}; the limit is {args.max_reject_share:.2%})')
  if validation.share > args.max_reject_share:
    raise rules.IngestionError(f'{verdict}: the data is not usable')
  print(f'{verdict}: the data is usable')


def _vertex_training(args: argparse.Namespace) -> configs.VertexTraining | None:
  """The Trainers' worker pools, when --trainer-workers asks for them."""
  if args.trainer_workers == 1:
    return None
  if not (args.project and args.region):
    raise errors.YtdnnError('--trainer-workers needs --project and --region: '
                            'the pools are Vertex AI training jobs')
  if args.trainer_workers > outputs.NUM_SHARDS:
    raise errors.YtdnnError(
        f'--trainer-workers is at most {outputs.NUM_SHARDS}: each worker '
        f'reads its own files of the train split, and there are '
        f'{outputs.NUM_SHARDS}')
  return configs.VertexTraining(
      project=args.project, region=args.region, image=args.image,
      workers=args.trainer_workers, machine_type=args.trainer_machine_type)


def _compile_kfp(args: argparse.Namespace) -> None:
  from pipeline import kubeflow_v2_runner

  path = kubeflow_v2_runner.compile_pipeline(
      output_file=args.output,
      pipeline_root=args.pipeline_root,
      data_dir=args.data_dir,
      image=args.image,
      beam_args=args.beam_arg or [],
      target=args.target,
      data_format=args.data_format,
      serving_models_dir=args.serving_models_dir,
      vertex_training=_vertex_training(args))
  print(f'Kubeflow V2 pipeline spec for {args.target} written to {path}')


def _recommend(args: argparse.Namespace) -> None:
  from serving import recommend

  _quiet_libraries()
  started = time.monotonic()
  recommender = recommend.Recommender(args.data_dir, args.output_dir)
  print(f'Loaded the data and both pushed models in '
        f'{time.monotonic() - started:.1f} s')
  recommendations, seconds = recommend.timed_recommend(
      recommender, args.user_id, args.k, args.order_by)
  if not recommendations:
    print(f'user {args.user_id} has rated every movie the retrieval model '
          'knows: nothing to recommend')
    return
  print(f'Top {len(recommendations)} for user {args.user_id}, in '
        f'{args.order_by} order ({seconds * 1000:.0f} ms):')
  for place, movie in enumerate(recommendations, start=1):
    ordering = ('' if movie.engagement is None else
                f'engagement {movie.engagement:.2f}, ')
    print(f'{place:3d}. {movie.title} [{movie.genres}]  {ordering}'
          f'liked {movie.liked:.2f}, rating {movie.rating:.2f}')


def parser() -> argparse.ArgumentParser:
  parser = argparse.ArgumentParser(
      prog='ytdnn', description=(
          'The YouTube DNN recommender as a TFX pipeline on MovieLens 1M.'))
  commands = parser.add_subparsers(dest='command', required=True)

  run = commands.add_parser(
      'run', help='run the whole ranking pipeline locally')
  run.add_argument('--data-dir', default=paths.SAMPLE_DATA_DIR,
                   help='directory with a MovieLens release\'s files, '
                   'its format recognized from them (ml-1m, ml-10m or the '
                   'CSV releases; default: the bundled synthetic sample)')
  run.add_argument('--split-protocol', choices=splits.SPLIT_PROTOCOLS,
                   default=ingestion_config.IngestionConfig.split_protocol)
  run.add_argument('--output-dir', default='.',
                   help='where tfx/ (artifacts, metadata) and serving_model/ '
                   'go (default: the working directory)')
  run.add_argument('--preset', choices=tuple(configs.PRESETS),
                   default=configs.DEFAULT_PRESET,
                   help='the models\' settings: full, the benchmark\'s '
                   '(default), or quick, for iterating: one ranking model, '
                   'fewer epochs (README.md)')
  run.add_argument('--epochs', type=positive_int,
                   help='ranking epochs (default: the preset\'s, '
                   f'{hyperparameters.ModelConfig.epochs} for full)')
  run.add_argument('--batch-size', type=batch_size,
                   help='ranking batch size (default: the preset\'s, '
                   f'{hyperparameters.ModelConfig.batch_size} for full)')
  run.add_argument('--ensemble-size', type=positive_int,
                   help='ranking models trained apart and averaged into the '
                   'pushed model (default: the preset\'s, '
                   f'{hyperparameters.ModelConfig.ensemble_size} for full; 1 '
                   'trains in a fifth of the time, for a less accurate model)')
  run.add_argument('--autorec-weight', type=share,
                   help='I-AutoRec\'s share of the blended rating (default: '
                   f'{hyperparameters.ModelConfig.autorec_weight}); 0 leaves '
                   'it out, as a release much larger than ml-1m needs: its '
                   'steps cost in proportion to movies times users '
                   '(docs/benchmarks.md, section 7)')
  run.add_argument('--history-length', type=int,
                   default=ingestion_config.IngestionConfig.history_length,
                   help="how many of the user's earlier movies an example "
                   "carries (default: %(default)s)")
  run.add_argument('--raters-length', type=int,
                   default=ingestion_config.IngestionConfig.raters_length,
                   help="how many of the movie's earlier raters an example "
                   "carries (default: %(default)s)")
  run.add_argument('--max-reject-share', type=float,
                   default=ingestion_config.IngestionConfig.max_reject_share)
  run.add_argument('--beam-arg', action='append',
                   help='a Beam pipeline argument, repeatable (default: '
                   'none, so Beam runs in this process)')
  run.set_defaults(handler=_run)

  report = commands.add_parser(
      'report', help='write one static HTML page of a run: data statistics, '
      'anomalies, rejects, evaluation metrics and plots, blessing')
  report.add_argument('--output-dir', default='.',
                      help='the output directory of the runs (default: the '
                      'working directory)')
  report.add_argument('--run', default='latest',
                      help='a run id of the ML Metadata store, or latest')
  report.add_argument('--output', required=True, help='the HTML file to write')
  report.set_defaults(handler=_report)

  fetch = commands.add_parser(
      'download', help='fetch a real MovieLens release and verify its '
      'checksums')
  fetch.add_argument('--dataset', choices=tuple(download.RELEASES),
                     default=download.DEFAULT_RELEASE,
                     help='the GroupLens release (default: %(default)s)')
  fetch.add_argument('--data-dir', required=True)
  fetch.add_argument('--url',
                     help='where to fetch the zip from (a mirror or file://; '
                     'default: GroupLens). Where the release pins no zip '
                     'checksum, URL.md5 must be there too')
  fetch.set_defaults(handler=_download)

  check = commands.add_parser(
      'validate', help='check raw MovieLens files line by line, without a '
      'run')
  check.add_argument('--data-dir', default=paths.SAMPLE_DATA_DIR)
  check.add_argument('--max-reject-share', type=float,
                     default=ingestion_config.IngestionConfig.max_reject_share)
  check.add_argument('--show', type=int, default=5,
                     help='offending lines shown per rule')
  check.set_defaults(handler=_validate)

  kfp = commands.add_parser(
      'compile-kfp', help='compile the pipeline for Kubeflow Pipelines V2 or '
      'Vertex AI Pipelines (see docs/deploy.md)')
  kfp.add_argument('--output', required=True,
                   help='the spec to write: .json (a PipelineJob, for Vertex '
                   'AI) or .yaml (a PipelineSpec, for the kfp client)')
  kfp.add_argument('--pipeline-root', required=True,
                   help='where artifacts go, as the containers see it '
                   '(e.g. gs://BUCKET/PATH)')
  kfp.add_argument('--data-dir', required=True,
                   help='directory with a MovieLens release\'s files, as the '
                   'containers see it')
  kfp.add_argument('--data-format', choices=list(formats.FORMATS),
                   default=formats.ML_1M.name,
                   help='the format of the files in --data-dir: ml-1m '
                   '(default), ml-10m, or csv (ml-20m, ml-25m, ml-32m)')
  kfp.add_argument('--image', required=True,
                   help='the image every step runs in (built from Dockerfile)')
  kfp.add_argument('--target', choices=('kubeflow', 'vertex'),
                   default='vertex',
                   help='kubeflow: self-hosted Kubeflow Pipelines 2.x, whose '
                   'steps start through pipeline/kfp_executor.py; vertex: '
                   'Vertex AI Pipelines (default)')
  kfp.add_argument('--serving-models-dir',
                   help='where blessed models are pushed, into ranking/ and '
                   'retrieval/ (default: PIPELINE_ROOT/serving_model)')
  kfp.add_argument('--trainer-workers', type=positive_int, default=1,
                   help='train each model on a Vertex AI worker pool of this '
                   'many replicas (--target vertex; default 1: in the step)')
  kfp.add_argument('--project', help='the Google Cloud project of the pools')
  kfp.add_argument('--region', help='the Vertex AI region of the pools')
  kfp.add_argument('--trainer-machine-type', default='n1-standard-8',
                   help='each replica\'s machine (default: %(default)s)')
  kfp.add_argument('--beam-arg', action='append',
                   help='a Beam pipeline argument of every Beam step, '
                   'repeatable (default: none, so Beam runs in the step\'s '
                   'container)')
  kfp.set_defaults(handler=_compile_kfp)

  recommend = commands.add_parser(
      'recommend', help='top movies for a user: retrieved by the pushed '
      'retrieval model, ordered and scored by the pushed ranking model')
  recommend.add_argument('--user-id', type=int, required=True)
  recommend.add_argument('--k', type=int, default=10)
  recommend.add_argument(
      '--order-by', choices=features.RECOMMEND_ORDERINGS,
      default=features.ORDER_BY_ENGAGEMENT,
      help='the ranking stage\'s engagement score (default), learned from '
      'impressions as in the paper; the retrieval model\'s own order; or the '
      'ranking model\'s liked probability (docs/benchmarks.md compares them)')
  recommend.add_argument('--data-dir', default=paths.SAMPLE_DATA_DIR,
                         help='the MovieLens files the models were trained on, '
                         'for the user\'s history and the movie titles')
  recommend.add_argument('--output-dir', default='.',
                         help='the output directory of `ytdnn run`')
  recommend.set_defaults(handler=_recommend)
  return parser


def main(argv: list[str] | None = None) -> int:
  args = parser().parse_args(argv)

  try:
    args.handler(args)
  except errors.YtdnnError as error:
    print(f'ytdnn {args.command}: {error}', file=sys.stderr)
    return 1
  return 0


if __name__ == '__main__':
  sys.exit(main())
