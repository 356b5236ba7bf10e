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


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains on the train split and saves the model with its top-K signature.

  A carve-out of the train split decides when to stop (see
  configs.RetrievalConfig.epochs); the held-out split is never read here.
  """
  config = configs.RetrievalConfig.from_custom_config(fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)

  def batches(validation: bool) -> tf.data.Dataset:
    def part(transformed: dict[str, tf.Tensor]) -> tuple:
      chosen = retrieval_model.in_validation(transformed,
                                             config.validation_modulus)
      return retrieval_model.split_target(retrieval_model.select(
          transformed, chosen if validation else tf.logical_not(chosen)))
    return trainer_module.transformed_batches(
        fn_args.train_files, fn_args.data_accessor, tf_transform_output,
        config.batch_size, config.shuffle_buffer_size).map(
            part, num_parallel_calls=tf.data.AUTOTUNE)

  model = retrieval_model.RetrievalModel(
      trainer_module.vocabulary_sizes(tf_transform_output), config)
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  trainer_module.fit_with_tensorboard(
      model, batches(validation=False).prefetch(tf.data.AUTOTUNE),
      config.epochs, fn_args.model_run_dir,
      validation=batches(validation=True).cache(),
      callbacks=(tf.keras.callbacks.EarlyStopping(
          patience=config.early_stopping_patience,
          restore_best_weights=True),))
  model.save(fn_args.serving_model_dir, save_format='tf',
             signatures=retrieval_signatures.make_signatures(
                 model, tf_transform_output, config.top_k))
