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
import trainer_module


def retrieval_batches(file_patterns: list[str],
                      tf_transform_output: tft.TFTransformOutput,
                      config: configs.RetrievalConfig,
                      validation: bool) -> tf.data.Dataset:
  """(user inputs, target movie) batches of the train split's carve-out or rest.

  The carve-out's batches are kept in memory (about 1% of the split) and
  never empty: an empty batch would make its mean loss, and so the epoch's
  validation loss, NaN and stop training early.
  """
  def part(transformed: dict[str, tf.Tensor]) -> tuple:
    chosen = retrieval_model.in_validation(transformed,
                                           config.validation_modulus)
    return retrieval_model.split_target(retrieval_model.select(
        transformed, chosen if validation else tf.logical_not(chosen)))

  records = trainer_module.transformed_records(file_patterns)
  batches = trainer_module.transformed_batches(
      records if validation else records.cache(), tf_transform_output,
      config.batch_size, config.shuffle_buffer_size).map(
          part, num_parallel_calls=tf.data.AUTOTUNE)
  if validation:
    return batches.filter(lambda _, targets: tf.size(targets) > 0).cache()
  return batches


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains on the train split and saves the model with its top-K signature.

  A carve-out of the train split decides when to stop (see
  configs.RetrievalConfig.epochs); the held-out split is never read here.
  """
  config = configs.RetrievalConfig.from_custom_config(fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)

  model = retrieval_model.RetrievalModel(
      trainer_module.vocabulary_sizes(tf_transform_output), config)
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  trainer_module.fit_with_tensorboard(
      model, retrieval_batches(fn_args.train_files, tf_transform_output,
                               config, validation=False).prefetch(
                                   tf.data.AUTOTUNE),
      config.epochs, fn_args.model_run_dir,
      validation=retrieval_batches(fn_args.train_files, tf_transform_output,
                                   config, validation=True),
      callbacks=(tf.keras.callbacks.EarlyStopping(
          patience=config.early_stopping_patience,
          restore_best_weights=True),))
  trainer_module.save_for_serving(
      model, fn_args.serving_model_dir, retrieval_signatures.make_signatures(
          model, tf_transform_output, config.top_k))
