"""Hyperparameters of the two models, with the defaults `ytdnn run` uses.

Each travels to its Trainer as JSON `custom_config`: the pipeline builds it,
the run_fn reads it back, and neither imports the other.
"""

import dataclasses

from contract import features
from contract import request_lengths


class TrainerCustomConfig:
  """A model config that travels to its Trainer as JSON `custom_config`."""

  def as_custom_config(self) -> dict:
    """Plain JSON-serializable values: tuples become lists."""
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(self).items()}

  @classmethod
  def from_custom_config(cls, custom_config: dict):
    """Inverse of as_custom_config, for a Trainer's run_fn."""
    return cls(**{k: tuple(v) if isinstance(v, list) else v
                  for k, v in custom_config.items()})

  def trainer_custom_config(self, lengths: request_lengths.RequestLengths
                            ) -> dict:
    """A Trainer's whole custom_config: this config and the ingestion's lengths."""
    return {request_lengths.MODEL_CONFIG_KEY: self.as_custom_config(),
            request_lengths.CUSTOM_CONFIG_KEY: lengths._asdict()}

  @classmethod
  def from_trainer_custom_config(
      cls, custom_config: dict
  ) -> tuple['TrainerCustomConfig', request_lengths.RequestLengths]:
    """Inverse of trainer_custom_config, for a Trainer's run_fn."""
    return (cls.from_custom_config(
        custom_config[request_lengths.MODEL_CONFIG_KEY]),
            request_lengths.RequestLengths(
                **custom_config[request_lengths.CUSTOM_CONFIG_KEY]))

  @classmethod
  def with_overrides(cls, overrides: dict):
    """The defaults with some fields replaced by JSON values, for experiments."""
    return cls.from_custom_config({**cls().as_custom_config(), **overrides})


@dataclasses.dataclass(frozen=True)
class ModelConfig(TrainerCustomConfig):
  """Sizes and training schedule of the multitask ranking model."""
  movie_embedding_dim: int = 32
  user_embedding_dim: int = 16
  small_embedding_dim: int = 4
  hidden_units: tuple[int, ...] = (128, 64)
  # One pooled history vector per decay, as in RetrievalConfig.
  history_decays: tuple[float, ...] = (1.0,)
  newest_movies: int = 0
  # Whether the user side also reads the ratings of the history movies.
  use_history_ratings: bool = True
  # The share of training histories whose newest ratings are hidden
  # (training.hide_newest_ratings), as temporal's eval examples' are. On the
  # temporal train split's newest-tenth carve-out (its ratings hidden, 32%
  # of its history places), one member without I-AutoRec scored RMSE 0.8701
  # and AUC(liked) 0.8196 at 0, 0.8659 and 0.8204 at 0.5, 0.8633 and 0.8194
  # at 1.0; with its ratings revealed, as at serving, 0.8575 and 0.8228 at
  # 0, 0.8623 at 0.5, 0.8620 at 1.0. With the known share beside the pooled
  # ratings (ranking_model.HistoryVectors), 0.5 scored 0.8632 and 0.8207
  # hidden, 0.8589 and 0.8219 revealed: most of the gain, little of the cost.
  hidden_ratings_share: float = 0.5
  # SVD++ over the earlier history beside the tower (interactions.SvdPlusPlus):
  # its factors' width, 0 for none, and the L2 weights of factors and biases.
  # On the temporal train split's carve-out one model reached RMSE 0.8544
  # with it (l2 1e-4; 1e-3 gave 0.8547, 3e-5 peaked at 0.8529 after 6 epochs
  # and then overfit, AUC falling) against 0.8572 without.
  factor_dim: int = 32
  factor_l2: float = 1e-4
  bias_l2: float = 1e-6
  # SVD++ flipped: the movie's factors plus the implicit factors of its
  # earlier raters. On the random90 train split's carve-out one model
  # reached RMSE 0.8546 and AUC 0.8270 with it, 0.8575 and 0.8249 without;
  # on temporal's 0.8555 and 0.8245 against 0.8560 and 0.8237. The raters
  # pooled into the tower's movie side as the history is into the user's
  # (with their ratings) did not pay: 0.8591 and 0.8237 alone, 0.8574 and
  # 0.8254 with the flipped factors too (random90).
  flipped_factors: bool = True
  # Above this many users the tables are penalized on the rows each batch
  # reads and Adam moves those rows alone (models/row_penalty.py,
  # models/lazy_adam.py), instead of L2 on whole tables and Adam on every
  # row: a step then costs the batch, not the tables, which grow with the
  # data. One member's step (benchmarks/ranking_step_cost.py,
  # results/ranking_step_cost.json) took 20, 24, 53, 104 and 119 ms with
  # whole tables at the cost curve's 1M, 3M and 10M vocabularies (7k, 21k
  # and 70k users) and ml-25m's and ml-32m's, and 19, 25, 31, 39 and 39 ms
  # row-wise: the two cost about the same up to 21k users, row-wise is
  # cheaper from 70k. ml-1m (6,040 users) keeps the whole tables it was
  # tuned with.
  dense_table_max_users: int = 30_000
  # The row-wise tables' L2 weights are the whole tables' times this: a
  # row is penalized only in the steps that read it. On the temporal train
  # split's carve-out (one member, no I-AutoRec, 9 epochs) whole tables
  # scored RMSE 0.8640 and AUC(liked) 0.8207; row-wise at 1, 3, 5, 10 and
  # 100 times, 0.8647 and 0.7975 (overfitting from the fourth epoch),
  # 0.8641 and 0.8226, 0.8656 and 0.8188, 0.8643 and 0.8190, 0.8800 and
  # 0.8111.
  row_l2_scale: float = 3.0
  # Chosen on a carve-out of the train split (docs/benchmarks.md): with the
  # history's ratings, more regularization and 9 epochs did best.
  dropout: float = 0.3
  l2: float = 5e-5
  learning_rate: float = 2e-3
  epochs: int = 9
  # Doubling it cut the model's CPU time per example by only 17% on ml-1m
  # (34 against 28 us); every epoch sees the whole split in a new random
  # order (models.training.shuffled_batches).
  batch_size: int = 1024
  # Ranking models trained apart and averaged in one SavedModel
  # (ranking_model.packed_model). On the temporal train split's carve-out
  # three members scored RMSE 0.8458 and AUC(liked) 0.8270, each alone
  # 0.8547-0.8552 and 0.8224-0.8229: the largest gain of the round, for
  # three times the training. With the flipped factors, the average of the
  # first 1 to 5 of five members scored RMSE 0.8557, 0.8483, 0.8470, 0.8456
  # and 0.8453, AUC 0.8237, 0.8271, 0.8280, 0.8287 and 0.8290 (temporal,
  # 20 raters): five are worth their two thirds more training.
  ensemble_size: int = 5
  # The multitask ablation on the temporal train split's carve-out (one
  # model, RMSE 0.8572 and AUC 0.8199 with liked at 0.5): without the
  # stars loss 0.8585 and 0.8181; without the liked loss RMSE 0.8554, but
  # the liked head is then untrained. Neither pays enough to drop. Liked
  # at 1.0 instead of 0.5 raised one member's AUC to 0.8229 and 0.8242
  # (at 0.5: 0.8215, 0.8217, 0.8223) at the same RMSE, and three averaged
  # members' from 0.8262 to 0.8281 with RMSE 0.8470 against 0.8475; at 2.0
  # one member gave 0.8244, no more.
  # I-AutoRec trained beside the members and blended into their heads
  # (models/autorec.py, ranking_model.blended_model); weight 0 leaves it out.
  # Chosen on the random90 train split's carve-out (docs/benchmarks.md),
  # by the blend's figures: five members scored RMSE 0.8433 and AUC 0.8313
  # there; blended at 0.6 with I-AutoRec of L2 100, 0.8273 (at 0.4: 0.8290,
  # 0.8: 0.8294), and at liked weight 1.25 AUC 0.8378 (1.0: 0.8377, 2.0:
  # 0.8351). I-AutoRec of L2 200 scored better alone (0.8345 against 0.8353)
  # and blended worse (0.8282).
  autorec_weight: float = 0.6
  autorec_liked_weight: float = 1.25
  autorec_hidden: int = 500
  autorec_l2: float = 100.0
  autorec_learning_rate: float = 1e-3
  autorec_epochs: int = 100
  # Movies per step.
  autorec_batch_size: int = 256
  # The engagement head (models/engagement.py), trained apart from the
  # rating heads on the impression lists, as benchmarks/rerank_probe.py
  # trained it on the last1 train split's carve-out.
  engagement_hidden_units: tuple[int, ...] = (64, 32)
  engagement_learning_rate: float = 1e-3
  engagement_epochs: int = 8
  # Lists per step.
  engagement_batch_size: int = 64
  rating_loss_weight: float = 1.0
  stars_loss_weight: float = 0.5
  liked_loss_weight: float = 1.0

  def loss_weights(self) -> dict[str, float]:
    """Keras loss weights keyed by head name."""
    return {features.RATING_HEAD: self.rating_loss_weight,
            features.STARS_HEAD: self.stars_loss_weight,
            features.LIKED_HEAD: self.liked_loss_weight}


@dataclasses.dataclass(frozen=True)
class RetrievalConfig(TrainerCustomConfig):
  """Sizes and training schedule of the candidate generation model."""
  movie_embedding_dim: int = 64
  small_embedding_dim: int = 4
  hidden_units: tuple[int, ...] = (256,)
  user_vector_dim: int = 64
  # One pooled history vector per decay: the movie k places before the newest
  # weighs decay**k. 1.0 is the paper's plain mean and 0.0 the newest movie
  # alone; recency matters on ml-1m, whose users rated in batches.
  history_decays: tuple[float, ...] = (1.0, 0.5)
  # The embeddings of this many newest history movies, each in its own slot.
  newest_movies: int = 3
  # Whether the tower reads the time since the user's previous rating
  # (retrieval_model.USER_CONTINUOUS); off only to measure what it adds.
  time_since_previous: bool = True
  l2: float = 1e-6
  # At most this many epochs: training stops early when the full-softmax loss
  # on a carve-out of the train split (1 example in validation_modulus) has
  # not improved for early_stopping_patience epochs, and keeps the best
  # epoch's weights. On the temporal train split's carve-out (each user's
  # latest train rating, benchmarks/tune_retrieval.py) HR@10 reached its
  # plateau of about 0.345 after 4 epochs at this learning rate and after 5
  # at 2e-3; more epochs moved it by under 0.005 either way.
  learning_rate: float = 4e-3
  epochs: int = 5
  validation_modulus: int = 100
  early_stopping_patience: int = 2
  # Training batches hold chunks_per_batch chunks of chunk_length sequence
  # places each (models/retrieval_sequences.py), about 1,270 targets on
  # ml-1m. On the temporal train split's carve-out at learning rate 2e-3,
  # 32 x 48 trailed batches of 1,024 single examples by 0.025 HR@10 after
  # one epoch and matched them after four (0.342 against 0.343), at 28 s an
  # epoch against 53; 64 x 32 took 25 s but trailed by about 0.006 after
  # four, its batches holding fewer users. Validation batches hold
  # batch_size examples.
  chunk_length: int = 32
  chunks_per_batch: int = 48
  batch_size: int = 1024
  # Every movie in the softmax while the vocabulary holds at most this many,
  # else num_sampled negatives per batch from the log-uniform sampler, with
  # the log-Q correction. On the last1 train split's carve-out after 5 epochs
  # the full softmax gave HR@10 0.353, NDCG@10 0.203 and HR@50 0.619 against
  # 0.345, 0.198 and 0.608 with 1,000 sampled, for 41 s an epoch against 32.
  # The full softmax's step grows with the vocabulary, the sampled one's
  # hardly (benchmarks/softmax_cost.py, results/softmax_cost.json): 1.5
  # times the sampled step at ml-1m's 3,706 movies, 2.0 at 5,000, 2.1 at
  # 7,000, 3.8 at ml-10m's 10,677 and 9.0 at ml-25m's 59,047 (0.69 s a step
  # against 0.077). Up to twice the sampled step is what ml-1m's choice
  # accepts, so the full softmax stops at 5,000 movies.
  full_softmax_max_movies: int = 5_000
  num_sampled: int = 1000
  # Movies the pushed model returns per request: the ranking model's candidates.
  top_k: int = 300
  # Each user's this many newest train ratings are neither trained on nor
  # validated: 0 for the retrieval model, contract.splits.
  # IMPRESSION_POSITIONS for the impression retriever, whose lists for those
  # positions the ranking stage learns from (components/impression_gen.py).
  held_out_newest: int = 0
