"""The retrieval Trainer's `run_fn`: trains the candidate generation model.

The held-out split is left to the RetrievalEvaluator.
"""

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

from models import hyperparameters
from models import retrieval_model
from models import retrieval_signatures
from models import retrieval_training
from models import training


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains on the train split and saves the model with its top-K signature.

  `fn_args.train_files` are the raw ingested examples' train files, which
  `training.transform_in_memory` transforms once. A carve-out of the
  train split decides when to stop (see RetrievalConfig.epochs in
  models/hyperparameters.py); the held-out split is never read here.
  """
  config = hyperparameters.RetrievalConfig.from_custom_config(
      fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  rest, carve_out = retrieval_training.split_carve_out(
      training.transform_in_memory(training.raw_records(fn_args.train_files),
                                   tf_transform_output),
      config)

  model = retrieval_model.RetrievalModel(
      training.vocabulary_sizes(tf_transform_output), config)
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  training.fit_with_tensorboard(
      model,
      retrieval_training.training_batches(rest, config).prefetch(
          tf.data.AUTOTUNE),
      config.epochs, fn_args.model_run_dir,
      validation=retrieval_training.validation_batches(carve_out, config),
      callbacks=(tf.keras.callbacks.EarlyStopping(
          patience=config.early_stopping_patience,
          restore_best_weights=True),))
  training.save_for_serving(
      model, fn_args.serving_model_dir, retrieval_signatures.make_signatures(
          model, tf_transform_output, config.top_k))
