"""The retrieval Trainer's `run_fn`: trains the candidate generation model.

Every training example is one rating as "the next movie" given the user's
earlier history. The held-out split is left to the RetrievalEvaluator.
"""

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

from models import retrieval_model
from models import retrieval_signatures
from pipeline import configs
from pipeline import features
import trainer_module


def split_carve_out(
    data: trainer_module.Features, config: configs.RetrievalConfig
) -> tuple[trainer_module.Features, trainer_module.Features]:
  """The in-memory train split as (rest, carve-out) by `in_validation`.

  Split once, so no epoch filters again, and only the features the model
  reads are kept, so the two parts together take less memory than the split.
  """
  chosen = retrieval_model.in_validation(data, config.validation_modulus)
  read = {name: data[name] for name in (*retrieval_model.USER_INPUT_NAMES,
                                        features.MOVIE_INDEX)}
  return (retrieval_model.select(read, tf.logical_not(chosen)),
          retrieval_model.select(read, chosen))


def training_batches(rest: trainer_module.Features,
                     config: configs.RetrievalConfig) -> tf.data.Dataset:
  """(user inputs, target movie) batches of the rest, reshuffled every epoch."""
  return trainer_module.shuffled_batches(rest, config.batch_size).map(
      retrieval_model.split_target, num_parallel_calls=tf.data.AUTOTUNE)


def validation_batches(carve_out: trainer_module.Features,
                       config: configs.RetrievalConfig) -> tf.data.Dataset:
  """(user inputs, target movie) batches of the carve-out, kept in memory.

  Full batches of the carve-out alone (about 1% of the split), so no batch
  is empty: an empty batch would make its mean loss, and so the epoch's
  validation loss, NaN and stop training early.
  """
  return trainer_module.in_order_batches(carve_out, config.batch_size).map(
      retrieval_model.split_target).cache()


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains on the train split and saves the model with its top-K signature.

  `fn_args.train_files` are the raw ingested examples' train files, which
  `trainer_module.transform_in_memory` transforms once. A carve-out of the
  train split decides when to stop (see configs.RetrievalConfig.epochs); the
  held-out split is never read here.
  """
  config = configs.RetrievalConfig.from_custom_config(fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  rest, carve_out = split_carve_out(
      trainer_module.transform_in_memory(
          trainer_module.raw_records(fn_args.train_files),
          tf_transform_output),
      config)

  model = retrieval_model.RetrievalModel(
      trainer_module.vocabulary_sizes(tf_transform_output), config)
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  trainer_module.fit_with_tensorboard(
      model, training_batches(rest, config).prefetch(tf.data.AUTOTUNE),
      config.epochs, fn_args.model_run_dir,
      validation=validation_batches(carve_out, config),
      callbacks=(tf.keras.callbacks.EarlyStopping(
          patience=config.early_stopping_patience,
          restore_best_weights=True),))
  trainer_module.save_for_serving(
      model, fn_args.serving_model_dir, retrieval_signatures.make_signatures(
          model, tf_transform_output, config.top_k))
