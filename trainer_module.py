"""The Trainer's `run_fn`: trains the multitask ranking model and saves it for serving."""

import os

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

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


def transformed_records(file_patterns: list[str]) -> tf.data.Dataset:
  """The serialized examples under the patterns, in file order.

  Read as the gzipped TFRecords of tf.Examples that the Transform writes,
  rather than through TFXIO, so the Trainer and the bare loop of
  benchmarks/bare_trainer.py share one input pipeline.
  """
  files = sorted(path for pattern in file_patterns
                 for path in tf.io.gfile.glob(pattern))
  return tf.data.TFRecordDataset(files, compression_type='GZIP')


def transformed_batches(records: tf.data.Dataset,
                        tf_transform_output: tft.TFTransformOutput,
                        batch_size: int,
                        shuffle_buffer_size: int) -> tf.data.Dataset:
  """Batches of transformed features, reshuffled every epoch.

  Pass `records.cache()` to keep the serialized records in memory after the
  first epoch (ml-1m's train split is a few hundred MB), so later epochs
  neither reread nor decompress the files; parsing happens per batch.
  """
  feature_spec = tf_transform_output.transformed_feature_spec()
  return (records
          .shuffle(shuffle_buffer_size, seed=0, reshuffle_each_iteration=True)
          .batch(batch_size)
          .map(lambda batch: tf.io.parse_example(batch, feature_spec),
               num_parallel_calls=tf.data.AUTOTUNE))


def fit_with_tensorboard(
    model: tf.keras.Model, train: tf.data.Dataset, epochs: int,
    model_run_dir: str, validation: tf.data.Dataset | None = None,
    callbacks: tuple[tf.keras.callbacks.Callback, ...] = ()) -> None:
  """Trains with per-epoch logs where TFX keeps the run's TensorBoard files."""
  model.fit(train, epochs=epochs, verbose=2, validation_data=validation,
            callbacks=[tf.keras.callbacks.TensorBoard(
                log_dir=os.path.join(model_run_dir, 'logs'),
                update_freq='epoch'), *callbacks])


def save_for_serving(model: tf.keras.Model, serving_model_dir: str,
                     model_signatures: dict) -> None:
  """Saves the model for TF Serving and TFMA, which only call its signatures.

  Without Keras's per-layer traces, saving takes a third of the time; the
  Evaluator is told the model is generic (pipeline/evaluation.py) so it does
  not try to revive it as Keras.
  """
  model.save(serving_model_dir, save_format='tf', signatures=model_signatures,
             save_traces=False)


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains the model on the train split and saves it with its signatures.

  The eval split is left to the Evaluator: nothing here looks at it.
  """
  config = configs.ModelConfig.from_custom_config(fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  train = transformed_batches(
      transformed_records(fn_args.train_files).cache(), tf_transform_output,
      config.batch_size, config.shuffle_buffer_size).map(
          tasks.split_labels, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
              tf.data.AUTOTUNE)

  model = ranking_model.build_ranking_model(
      vocabulary_sizes(tf_transform_output), config)
  compile_model(model, config)
  fit_with_tensorboard(model, train, config.epochs, fn_args.model_run_dir)
  save_for_serving(model, fn_args.serving_model_dir,
                   signatures.make_signatures(model, tf_transform_output))
