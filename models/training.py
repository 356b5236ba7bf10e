"""Training helpers both run_fns share: the input pipeline, fitting and saving.

The Trainers read the raw ingested examples and apply the Transform graph
here, once (the Transform component only analyzes): the ranking Trainer
saves the transformed split to local disk and rereads it every epoch
(save_blocks, shuffled_blocks); the retrieval Trainer keeps compact columns
of it (models/retrieval_training.py). The in-memory helpers serve the
benchmarks' carve-outs and the retrieval Trainer's chunks of sequences.
"""

import os
from typing import Callable, Collection, NamedTuple

import tensorflow as tf
import tensorflow_transform as tft

from contract import features
from contract import formats
from contract import request_lengths
from models import autorec
from models import distribution
from models import hyperparameters
from models import lazy_adam
from models import ranking_model
from models import tasks


# The vocabulary of each demographic index (transforms/preprocessing.py).
DEMOGRAPHIC_VOCABULARIES = {
    features.GENDER_INDEX: features.GENDER,
    features.AGE_INDEX: features.AGE,
    features.OCCUPATION_INDEX: features.OCCUPATION,
    features.ZIP_PREFIX_INDEX: features.ZIP_PREFIX_VOCABULARY,
}


def vocabulary_sizes(tf_transform_output: tft.TFTransformOutput,
                     data_format: formats.DataFormat
                     ) -> ranking_model.VocabularySizes:
  """Table sizes: every vocabulary gets one extra row for its OOV bucket.

  The demographics' tables only where `data_format` has demographics.
  """
  def rows(name: str) -> int:
    return tf_transform_output.vocabulary_size_by_name(name) + 1

  demographics = {}
  if data_format.has_demographics:
    demographics = {index: rows(DEMOGRAPHIC_VOCABULARIES[index])
                    for index in features.DEMOGRAPHIC_INDICES}
  return ranking_model.VocabularySizes(
      movie=rows(features.MOVIE_VOCABULARY),
      user=rows(features.USER_VOCABULARY),
      genre=rows(features.GENRE_VOCABULARY),
      demographics=demographics,
      stars=data_format.rating_scale.num_values)


def compile_ranking_model(model: tf.keras.Model,
                          sizes: ranking_model.VocabularySizes,
                          config: hyperparameters.ModelConfig) -> None:
  """The optimizer and the per-head losses, weights and metrics."""
  optimizer = (lazy_adam.LazyAdam
               if ranking_model.sparse_table_updates(sizes, config) else
               tf.keras.optimizers.Adam)
  model.compile(optimizer=optimizer(config.learning_rate),
                **tasks.compile_kwargs(config.loss_weights()))


# Raw examples parsed and transformed per call of the transform graph: large
# chunks spread its fixed per-call cost over many examples.
TRANSFORM_CHUNK = 8192

Features = dict[str, tf.Tensor | tf.RaggedTensor]
# Seed of the epochs' permutations (shuffled_batches).
SHUFFLE_SEED = 0


def without_autotuning(dataset: tf.data.Dataset) -> tf.data.Dataset:
  """`dataset` and every dataset built on it, without tf.data's autotuning thread.

  That thread sleeps longer and longer between optimizations, up to a
  minute, and in TF 2.16 an iterator's destructor waits for it to wake: on
  ml-1m the retrieval Trainer sat idle for 20 s after a 2-epoch fit and 44 s
  after a 3-epoch one, in `~RootDataset::Iterator`. Without it an epoch took
  as long as with it (31 s against 30), and the wait was gone.
  """
  options = tf.data.Options()
  options.autotune.enabled = False
  return dataset.with_options(options)


def raw_records(file_patterns: list[str],
                shard: distribution.Shard = distribution.WHOLE
                ) -> tf.data.Dataset:
  """The serialized raw examples under the patterns, in a fixed order.

  The files are the ingested gzipped TFRecords of tf.Examples, each a
  pseudo-random part of the users in a pseudo-random order
  (components/ingestion/outputs.py). They are read in turn, one record of
  each at a time, so any stretch of the records mixes every file's users.
  A fixed order makes the bare loop's every-10th carve-out the same in
  every run. A worker's `shard` reads every count-th file from its index on.
  """
  files = sorted(path for pattern in file_patterns
                 for path in tf.io.gfile.glob(pattern))[shard.index::shard.count]
  if not files:
    raise ValueError(f'no files to read under {file_patterns} for worker '
                     f'{shard.index} of {shard.count}')
  return tf.data.Dataset.from_tensor_slices(files).interleave(
      lambda path: tf.data.TFRecordDataset(path, compression_type='GZIP'),
      cycle_length=len(files), block_length=1)


def transformed_chunks(records: tf.data.Dataset,
                       tf_transform_output: tft.TFTransformOutput,
                       names: Collection[str] | None = None,
                       with_positions: bool = False) -> tf.data.Dataset:
  """The records parsed and transformed TRANSFORM_CHUNK at a time, in order.

  `names` keeps only those transformed features (every one when None).
  `with_positions` also keeps each example's features.SEQUENCE_POSITION,
  read in the same pass.
  """
  raw_spec = tf_transform_output.raw_feature_spec()
  transform = tf_transform_output.transform_features_layer()

  def transformed(batch: tf.Tensor) -> Features:
    raw = tf.io.parse_example(batch, raw_spec)
    outputs = transform(dict(raw))
    if names is not None:
      outputs = {name: outputs[name] for name in names}
    if with_positions:
      outputs[features.SEQUENCE_POSITION] = tf.squeeze(
          raw[features.USER_RATING_COUNT], axis=1)
    return outputs

  return without_autotuning(records.batch(TRANSFORM_CHUNK)).map(
      transformed, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
          tf.data.AUTOTUNE)


def transform_in_memory(records: tf.data.Dataset,
                        tf_transform_output: tft.TFTransformOutput,
                        names: Collection[str] | None = None,
                        with_positions: bool = False) -> Features:
  """Every record parsed and transformed once, as tensors of the whole split.

  transformed_chunks, concatenated: on ml-1m's temporal train split
  (897,450 examples) reading, parsing and transforming took 23 CPU-s, and
  the transformed tensors take 582 MB.
  """
  return concatenated(list(transformed_chunks(records, tf_transform_output,
                                              names, with_positions)))


def concatenated(chunks: list[Features]) -> Features:
  """Chunks of the same features, joined along their examples."""
  return {name: tf.concat([chunk[name] for chunk in chunks], axis=0)
          for name in chunks[0]}


# The ranking Trainer saves its transformed train split to local disk in
# blocks of BLOCK_SIZE examples and reads it back every epoch through a
# shuffle buffer of SHUFFLE_BLOCKS blocks (131,072 examples), so its memory
# does not grow with the split. The ingested files already hold their
# examples in a pseudo-random order and raw_records interleaves them, so the
# buffer reshuffles an order that is random to begin with. On 1M synthetic
# ratings an epoch of batches cost 6.3 s in blocks of 32, 3.8 s in blocks of
# 64 and 2.8 s in blocks of 128, against 3.4-4.4 s drawn from memory.
BLOCK_SIZE = 64
SHUFFLE_BLOCKS = 2048


class SavedExamples(NamedTuple):
  """Transformed examples saved by `save_blocks`, and how many there are."""
  directory: str
  count: int


# Suffix of the saved component holding a ragged feature's row lengths.
ROW_LENGTHS = '/row_lengths'


def _flattened(block: Features) -> dict[str, tf.Tensor]:
  """A block with each ragged feature as its values and its row lengths.

  Read back as ragged tensors, the blocks of 1M examples took 5.4 s an epoch
  to deserialize; as plain tensors 0.9 s.
  """
  flat = {}
  for name, value in block.items():
    if isinstance(value, tf.RaggedTensor):
      flat[name] = value.flat_values
      flat[name + ROW_LENGTHS] = value.row_lengths()
    else:
      flat[name] = value
  return flat


def _merged(blocks: dict[str, tf.RaggedTensor]) -> Features:
  """A ragged batch of flattened blocks as one batch of their examples."""
  merged = {name: value.merge_dims(0, 1) for name, value in blocks.items()}
  return {name: (tf.RaggedTensor.from_row_lengths(
      value, merged[name + ROW_LENGTHS]) if name + ROW_LENGTHS in merged
                 else value)
          for name, value in merged.items() if not name.endswith(ROW_LENGTHS)}


def save_blocks(chunks: tf.data.Dataset, directory: str) -> SavedExamples:
  """Batches of transformed examples saved under `directory` as blocks."""
  chunks.rebatch(BLOCK_SIZE).map(_flattened).save(directory)
  count = tf.data.Dataset.load(directory).reduce(
      tf.constant(0, tf.int64),
      lambda total, block: total + tf.shape(block[features.MOVIE_INDEX],
                                            out_type=tf.int64)[0])
  return SavedExamples(directory, int(count))


def shuffled_blocks(examples: SavedExamples, batch_size: int,
                    seed: int = SHUFFLE_SEED) -> tf.data.Dataset:
  """Batches of the saved examples, drawn in a new order every epoch.

  Each batch is batch_size / BLOCK_SIZE blocks out of the shuffle buffer;
  `seed` fixes the sequence of orders, so runs repeat and epochs differ.
  """
  if batch_size % BLOCK_SIZE:
    raise ValueError(f'the batch size, {batch_size}, must be a multiple of '
                     f'the {BLOCK_SIZE} examples of a saved block')
  return without_autotuning(tf.data.Dataset.load(examples.directory)).shuffle(
      SHUFFLE_BLOCKS, seed=seed, reshuffle_each_iteration=True).ragged_batch(
          batch_size // BLOCK_SIZE).map(_merged,
                                        num_parallel_calls=tf.data.AUTOTUNE)


def num_examples(data: Features) -> int:
  """How many examples the in-memory tensors hold."""
  return int(next(iter(data.values())).shape[0])


def take(data: Features, indices: tf.Tensor) -> Features:
  """The examples at `indices`, ragged features included."""
  return {name: tf.gather(value, indices) for name, value in data.items()}


def batches_per_epoch(count: int, batch_size: int,
                      shard: distribution.Shard = distribution.WHOLE) -> int:
  """How many batches shuffled_batches makes of `count` examples an epoch."""
  return count // batch_size + (count % batch_size >= shard.count)


def shuffled_batches(data: Features, batch_size: int,
                     seed: int = SHUFFLE_SEED,
                     shard: distribution.Shard = distribution.WHOLE
                     ) -> tf.data.Dataset:
  """Batches of the in-memory examples in a new random order every epoch.

  A permutation of the whole split replaces the shuffle buffer the Trainers
  needed while the ingested examples came grouped by movie: the order is
  uniformly random. Drawn as one tensor per epoch, the indices of an epoch's
  batches cost 0.25 CPU-s on ml-1m's train split; through a shuffle buffer
  they cost 2.8. The permutation is stateless and seeded by a random dataset
  that draws anew at every iteration, so runs repeat and epochs differ: an
  unseeded `tf.random.shuffle` in the dataset function gave two epochs the
  same order in a clean-clone test run.

  With several workers, each one's `shard` holds every count-th example of
  each batch from its index on: the workers draw the same permutation, so
  together they take each batch once, and each the same number of batches.
  A last batch with fewer examples than workers is left out.
  """
  count = num_examples(data)
  num_batches = batches_per_epoch(count, batch_size, shard)

  def epoch(seed: tf.Tensor) -> tf.data.Dataset:
    order = tf.random.experimental.stateless_shuffle(
        tf.range(count, dtype=tf.int64), seed=tf.stack([seed, 0]))
    return tf.data.Dataset.range(num_batches).map(
        lambda i: order[i * batch_size:(i + 1) * batch_size][
            shard.index::shard.count])

  epoch_seeds = tf.data.Dataset.random(
      seed=seed, rerandomize_each_iteration=True).take(1)
  return without_autotuning(epoch_seeds).flat_map(epoch).map(
      lambda indices: take(data, indices),
      num_parallel_calls=tf.data.AUTOTUNE)


def hide_newest_ratings(batch: Features, share: float,
                        seed: tf.Tensor) -> Features:
  """`batch` with the newest ratings of a random `share` of its histories unknown.

  Each chosen history loses the values of its newest h movies, h uniform
  from 1 to its length; the movies stay. In `temporal` every eval example
  after a user's first reads unknown newest ratings (the user's earlier
  eval ratings: 32% of the places of the train split's newest-tenth
  carve-out), which no train example does; trained on such histories too,
  the model learns what an unknown rating leaves it. `seed` is a stateless
  seed's first half.
  """
  ratings = batch[features.HISTORY_RATING_VALUES]
  lengths = ratings.row_lengths()
  chosen = tf.random.stateless_uniform(
      tf.shape(lengths), seed=tf.stack([seed, 1])) < share
  hidden = tf.cast(tf.math.ceil(tf.random.stateless_uniform(
      tf.shape(lengths), seed=tf.stack([seed, 2])) *
                            tf.cast(lengths, tf.float32)), lengths.dtype)
  known = lengths - tf.where(chosen, hidden, tf.zeros_like(hidden))
  rows = ratings.value_rowids()
  place = (tf.range(tf.size(rows, out_type=rows.dtype)) -
           tf.gather(ratings.row_starts(), rows))
  values = tf.where(place < tf.gather(known, rows), ratings.flat_values,
                    tf.fill(tf.shape(ratings.flat_values),
                            tf.cast(features.UNKNOWN_RATING, tf.float32)))
  return {**batch, features.HISTORY_RATING_VALUES:
          ratings.with_flat_values(values)}


def ranking_batches(examples: SavedExamples, batch_size: int,
                    seed: int = SHUFFLE_SEED,
                    hidden_ratings_share: float = 0.0) -> tf.data.Dataset:
  """shuffled_blocks split into the ranking model's inputs and labels.

  With `hidden_ratings_share`, hide_newest_ratings hides the newest
  ratings of that share of each batch's histories, drawn anew every batch.
  """
  batches = shuffled_blocks(examples, batch_size, seed)
  if hidden_ratings_share:
    batches = batches.enumerate().map(
        lambda index, batch: hide_newest_ratings(
            batch, hidden_ratings_share,
            tf.cast(index, tf.int32) * 1_000 + seed),
        num_parallel_calls=tf.data.AUTOTUNE)
  return batches.map(
      tasks.split_labels, num_parallel_calls=tf.data.AUTOTUNE).prefetch(
          tf.data.AUTOTUNE)


FitMember = Callable[[tf.keras.Model, distribution.Batches, int], None]


# The transformed features I-AutoRec trains on, for the whole split.
AUTOREC_NAMES = (features.USER_INDEX, features.MOVIE_INDEX,
                 features.RATING_LABEL)


def train_ranking_model(examples: SavedExamples,
                        autorec_ratings: Callable[[], Features],
                        sizes: ranking_model.VocabularySizes,
                        config: hyperparameters.ModelConfig,
                        fit_member: FitMember,
                        strategy: tf.distribute.Strategy) -> tf.keras.Model:
  """config.ensemble_size ranking models, trained apart and packed into one.

  Each member gets its own random initialization and a batch order seeded
  by its index, and is fitted by `fit_member(model, batches, index)`.
  Members that shared one batch order learned almost the same model: packed
  side by side and trained together on the temporal train split's
  carve-out, three erred with a correlation of 0.995-0.997 and their mean
  beat the best of them by under 0.001 RMSE. So they are trained apart and
  packed for serving (ranking_model.packed_model). Then I-AutoRec is
  trained on `autorec_ratings()` (the split's AUTOREC_NAMES) and blended in
  (ranking_model.blended_model), unless config.autorec_weight is 0.

  The members train under `strategy`, on every worker together
  (models/distribution.py), each worker on its own `examples` (its files of
  the split) in batches of its share of config.batch_size; the packed model
  holds plain copies of their weights. I-AutoRec, small, trains whole in
  each process, on the whole split's ratings.
  """
  hidden_share = (config.hidden_ratings_share if config.use_history_ratings
                  else 0.0)
  steps_per_epoch = distribution.total(strategy,
                                       examples.count) // config.batch_size
  members = []
  for index in range(config.ensemble_size):
    with strategy.scope():
      member = ranking_model.build_ranking_model(sizes, config)
      compile_ranking_model(member, sizes, config)
    fit_member(member, distribution.distributed_batches(
        strategy,
        lambda shard, seed=SHUFFLE_SEED + index: ranking_batches(
            examples, config.batch_size // shard.count, seed, hidden_share),
        lambda _: steps_per_epoch), index)
    members.append(member)
  packed = ranking_model.packed_model(members, sizes, config)
  if not config.autorec_weight:
    return packed
  ratings = autorec_ratings()
  autorec_rating = autorec.train_item_autorec(
      ratings[features.USER_INDEX], ratings[features.MOVIE_INDEX],
      ratings[features.RATING_LABEL], sizes.user, sizes.movie, config)
  return ranking_model.blended_model(packed, autorec_rating, config)


def in_order_batches(data: Features, batch_size: int) -> tf.data.Dataset:
  """Batches of the in-memory examples in their stored order, for evaluation."""
  return (without_autotuning(tf.data.Dataset.range(num_examples(data)))
          .batch(batch_size)
          .map(lambda indices: take(data, indices),
               num_parallel_calls=tf.data.AUTOTUNE))


def fit_with_tensorboard(
    model: tf.keras.Model, train: distribution.Batches, epochs: int,
    model_run_dir: str, validation: tf.data.Dataset | None = None,
    callbacks: tuple[tf.keras.callbacks.Callback, ...] = ()) -> None:
  """Trains with per-epoch logs where TFX keeps the run's TensorBoard files."""
  model.fit(train.dataset, steps_per_epoch=train.steps_per_epoch,
            epochs=epochs, verbose=2, validation_data=validation,
            callbacks=[tf.keras.callbacks.TensorBoard(
                log_dir=os.path.join(model_run_dir, 'logs'),
                update_freq='epoch'), *callbacks])


def save_for_serving(model: tf.keras.Model, serving_model_dir: str,
                     model_signatures: dict,
                     lengths: request_lengths.RequestLengths) -> None:
  """Saves the model for TF Serving and TFMA, which only call its signatures.

  Without Keras's per-layer traces, saving takes a third of the time; the
  Evaluator is told the model is generic (pipeline/evaluation.py) so it does
  not try to revive it as Keras. The lengths its requests must carry go
  beside it (contract/request_lengths.py).
  """
  model.save(serving_model_dir, save_format='tf', signatures=model_signatures,
             save_traces=False)
  path = os.path.join(serving_model_dir, request_lengths.FILE)
  tf.io.gfile.makedirs(os.path.dirname(path))
  with tf.io.gfile.GFile(path, 'w') as file:
    file.write(lengths.to_json())
