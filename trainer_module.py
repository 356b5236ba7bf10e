"""The Trainer's `run_fn`: trains the multitask ranking model and saves it for serving."""

import os
import tempfile

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

from contract import features
from contract import formats
from contract import paths
from models import candidate_features
from models import distribution
from models import engagement
from models import hyperparameters
from models import signatures
from models import training


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains the model on the train split and saves it with its signatures.

  `fn_args.train_files` are the raw ingested examples' train files: the
  transform graph is applied here, once, and the transformed examples are
  saved to a local scratch directory that every epoch reads back
  (`training.save_blocks`), so memory does not grow with the split; so are
  the impression lists' candidate features (`engagement.save_lists`). The eval
  split is left to the Evaluator: nothing here looks at it. The engagement
  head then learns from the impression lists (components/ranking_trainer.py
  passes their files), its features counted from the train split's ratings.
  Under TF_CONFIG naming several workers they train together, each reading
  its own files, and the chief writes the model (models/distribution.py).
  """
  strategy = distribution.strategy()
  config, lengths = hyperparameters.ModelConfig.from_trainer_custom_config(
      fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  sizes = training.vocabulary_sizes(
      tf_transform_output, formats.from_custom_config(fn_args.custom_config))

  def autorec_ratings() -> training.Features:
    return training.transform_in_memory(
        training.raw_records(fn_args.train_files), tf_transform_output,
        training.AUTOREC_NAMES)

  with (distribution.output_dir(fn_args.model_run_dir) as model_run_dir,
        tempfile.TemporaryDirectory(prefix='ytdnn-train-split-') as scratch):
    examples = training.save_blocks(training.transformed_chunks(
        training.raw_records(fn_args.train_files, distribution.this_worker()),
        tf_transform_output), os.path.join(scratch, 'examples'))

    def fit_member(member: tf.keras.Model, batches: distribution.Batches,
                   index: int) -> None:
      run_dir = (model_run_dir if config.ensemble_size == 1 else
                 os.path.join(model_run_dir, f'member_{index}'))
      training.fit_with_tensorboard(member, batches, config.epochs, run_dir)

    model = training.train_ranking_model(examples, autorec_ratings, sizes,
                                         config, fit_member, strategy)
    features_of = candidate_features.CandidateFeatures(
        engagement.rating_tables(training.raw_records(fn_args.train_files)))
    lists = engagement.save_lists(
        engagement.list_batches(training.raw_records(
            fn_args.custom_config[paths.IMPRESSION_FILES]), features_of),
        os.path.join(scratch, 'impression_lists'))
    tower = engagement.train_engagement_tower(
        lists, config, os.path.join(model_run_dir, features.ENGAGEMENT_HEAD))
  with distribution.output_dir(fn_args.serving_model_dir) as serving_dir:
    training.save_for_serving(
        model, serving_dir,
        {**signatures.make_signatures(model, tf_transform_output),
         signatures.RANK: signatures.rank_signature(model, tower,
                                                    features_of)},
        lengths)
