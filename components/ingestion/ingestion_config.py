"""The ingestion's knobs, with the defaults `ytdnn run` uses."""

import dataclasses

from contract import splits


@dataclasses.dataclass(frozen=True)
class IngestionConfig:
  """How raw ml-1m files become leakage-free examples."""
  split_protocol: str = splits.TEMPORAL
  # How many of the user's earlier movies an example carries (`history`):
  # the newest.
  history_length: int = 50
  # How many of the movie's earlier raters an example carries
  # (`movie_raters`, the flipped SVD++ term's implicit feedback): the newest.
  # One ranking model on the train splits' carve-outs, the 20 newest of 50:
  # temporal RMSE 0.8535 and AUC(liked) 0.8247 against 0.8554 and 0.8244,
  # random90 0.8566 and 0.8259 against 0.8547 and 0.8261, so no difference
  # beyond one model's run-to-run spread (about 0.002 RMSE); 20 makes each
  # request 0.2-0.4 ms faster at p50 (docs/benchmarks.md, sixth round).
  raters_length: int = 20
  max_reject_share: float = 0.001
