"""The ingestion's knobs, with the defaults `ytdnn run` uses."""

import dataclasses

from contract import splits


@dataclasses.dataclass(frozen=True)
class IngestionConfig:
  """How raw ml-1m files become leakage-free examples."""
  split_protocol: str = splits.TEMPORAL
  history_length: int = 50
  max_reject_share: float = 0.001
