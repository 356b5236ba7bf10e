"""The ingestion's knobs, with the defaults `ytdnn run` uses."""

import dataclasses

from contract import splits


@dataclasses.dataclass(frozen=True)
class IngestionConfig:
  """How raw ml-1m files become leakage-free examples."""
  split_protocol: str = splits.TEMPORAL
  # How many of the user's earlier movies (`history`), and of the movie's
  # earlier raters (`movie_raters`), an example carries: the newest.
  history_length: int = 50
  max_reject_share: float = 0.001
