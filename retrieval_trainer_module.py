"""The retrieval Trainer's `run_fn`: trains the candidate generation model.

The held-out split is left to the RetrievalEvaluator.
"""

import tensorflow as tf
import tensorflow_transform as tft
from tfx import v1 as tfx

from contract import features
from contract import formats
from contract import splits
from models import distribution
from models import hyperparameters
from models import retrieval_model
from models import retrieval_signatures
from models import retrieval_training
from models import training


def _batches(fn_args: tfx.components.FnArgs,
             tf_transform_output: tft.TFTransformOutput,
             config: hyperparameters.RetrievalConfig,
             strategy: tf.distribute.Strategy
             ) -> tuple[distribution.Batches, tf.data.Dataset]:
  """(training, validation) batches, from two streamed passes over the split.

  The first keeps the compact per-example columns and the validation
  candidates, the second lays the histories into the sequences; neither
  holds more histories than the carve-out's and a transformed chunk's. On
  several workers each builds its share of every training batch, and keeps
  the columns for the dataset function that does.
  """
  records = training.raw_records(fn_args.train_files)
  split = retrieval_training.read_split(records, tf_transform_output,
                                        config.validation_modulus)
  held_out = splits.newest_per_user(
      split.columns[features.USER_INDEX].numpy(),
      split.columns[features.SEQUENCE_POSITION].numpy(),
      config.held_out_newest)
  chunks = retrieval_training.sequence_chunks(
      split.columns,
      retrieval_training.streamed_histories(records, tf_transform_output),
      ~split.in_validation & ~held_out, config)
  return (distribution.distributed_batches(
      strategy,
      lambda shard: retrieval_training.sequence_batches(
          split.columns, chunks, config, shard).prefetch(tf.data.AUTOTUNE),
      lambda shard: training.batches_per_epoch(
          len(chunks.examples), config.chunks_per_batch, shard)),
          retrieval_training.validation_batches(
              split.validation_carve_out(~held_out), config))


def run_fn(fn_args: tfx.components.FnArgs) -> None:
  """Trains on the train split and saves the model with its top-K signature.

  `fn_args.train_files` are the raw ingested examples' train files, which
  are transformed twice, a chunk at a time (_batches). Training reads them
  as chunks of users' sequences. A carve-out of the train split decides when
  to stop (see RetrievalConfig.epochs in models/hyperparameters.py); the
  held-out split is never read here. Under TF_CONFIG naming several workers
  they train together and the chief writes the model (models/distribution.py).
  """
  strategy = distribution.strategy()
  config, lengths = hyperparameters.RetrievalConfig.from_trainer_custom_config(
      fn_args.custom_config)
  tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
  train, validation = _batches(fn_args, tf_transform_output, config,
                               strategy)
  with strategy.scope():
    model = retrieval_model.RetrievalModel(
        training.vocabulary_sizes(
            tf_transform_output,
            formats.from_custom_config(fn_args.custom_config)),
        config)
    model.compile(optimizer=tf.keras.optimizers.Adam(config.learning_rate))
  with distribution.output_dir(fn_args.model_run_dir) as model_run_dir:
    training.fit_with_tensorboard(
        model, train, config.epochs,
        model_run_dir, validation=validation,
        callbacks=(tf.keras.callbacks.EarlyStopping(
            patience=config.early_stopping_patience,
            restore_best_weights=True),))
  with distribution.output_dir(fn_args.serving_model_dir) as serving_dir:
    training.save_for_serving(
        model, serving_dir, retrieval_signatures.make_signatures(
            model, tf_transform_output, config.top_k), lengths)
