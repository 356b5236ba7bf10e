"""The Trainer's `run_fn`: trains the multitask ranking model and saves it for serving."""

import os

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx
from tfx_bsl.public import tfxio

from models import ranking_model
from models import signatures
from models import tasks
from pipeline import configs
from pipeline import features


def vocabulary_sizes(
    tf_transform_output: tft.TFTransformOutput) -> ranking_model.VocabularySizes:
  """Table sizes: every vocabulary gets one extra row for its OOV bucket."""
  def rows(name: str) -> int:
    return tf_transform_output.vocabulary_size_by_name(name) + 1

  return ranking_model.VocabularySizes(
      movie=rows(features.MOVIE_VOCABULARY),
      user=rows(features.USER_VOCABULARY),
      genre=rows(features.GENRE_VOCABULARY),
      zip_prefix=rows(features.ZIP_PREFIX_VOCABULARY),
      gender=rows(features.GENDER),
      age=rows(features.AGE),
      occupation=rows(features.OCCUPATION))


def compile_model(model: tf.keras.Model, config: configs.ModelConfig) -> None:
  """The optimizer and the per-head losses, weights and metrics."""
  model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate),
                **tasks.compile_kwargs(config.loss_weights()))


def transformed_batches(file_pattern: list[str],
                        data_accessor: tfx.components.DataAccessor,
                        tf_transform_output: tft.TFTransformOutput,
                        batch_size: int,
                        shuffle_buffer_size: int) -> tf.data.Dataset:
  """One shuffled pass over transformed examples, as dicts of batched features."""
  return data_accessor.tf_dataset_factory(
      file_pattern,
      tfxio.TensorFlowDatasetOptions(
          batch_size=batch_size, num_epochs=1, shuffle=True,
          shuffle_buffer_size=shuffle_buffer_size, shuffle_seed=0),
      tf_transform_output.transformed_metadata.schema)


def fit_with_tensorboard(
    model: tf.keras.Model, train: tf.data.Dataset, epochs: int,
    model_run_dir: str, validation: tf.data.Dataset | None = None,
    callbacks: tuple[tf.keras.callbacks.Callback, ...] = ()) -> None:
  """Trains with per-epoch logs where TFX keeps the run's TensorBoard files."""
  model.fit(train, epochs=epochs, verbose=2, validation_data=validation,
            callbacks=[tf.keras.callbacks.TensorBoard(
                log_dir=os.path.join(model_run_dir, 'logs'),
                update_freq='epoch'), *callbacks])


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains the model on the train split and saves it with its signatures.

  The eval split is left to the Evaluator: nothing here looks at it.
  """
  config = configs.ModelConfig.from_custom_config(fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  train = transformed_batches(
      fn_args.train_files, fn_args.data_accessor, tf_transform_output,
      config.batch_size, config.shuffle_buffer_size).map(
          tasks.split_labels, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
              tf.data.AUTOTUNE)

  model = ranking_model.build_ranking_model(
      vocabulary_sizes(tf_transform_output), config)
  compile_model(model, config)
  fit_with_tensorboard(model, train, config.epochs, fn_args.model_run_dir)
  model.save(fn_args.serving_model_dir, save_format='tf',
             signatures=signatures.make_signatures(model, tf_transform_output))
