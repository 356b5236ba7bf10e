"""The Trainer's `run_fn`: trains the multitask ranking model and saves it for serving."""

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

from models import hyperparameters
from models import ranking_model
from models import signatures
from models import tasks
from models import training


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains the model on the train split and saves it with its signatures.

  `fn_args.train_files` are the raw ingested examples' train files: the
  transform graph is applied here (`training.transform_in_memory`). The eval
  split is left to the Evaluator: nothing here looks at it.
  """
  config = hyperparameters.ModelConfig.from_custom_config(fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  train = training.shuffled_batches(
      training.transform_in_memory(training.raw_records(fn_args.train_files),
                                   tf_transform_output),
      config.batch_size).map(
          tasks.split_labels, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
              tf.data.AUTOTUNE)

  model = ranking_model.build_ranking_model(
      training.vocabulary_sizes(tf_transform_output), config)
  training.compile_ranking_model(model, config)
  training.fit_with_tensorboard(model, train, config.epochs,
                                fn_args.model_run_dir)
  training.save_for_serving(
      model, fn_args.serving_model_dir,
      signatures.make_signatures(model, tf_transform_output))
