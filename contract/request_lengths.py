"""How many history movies and movie raters a model's requests carry, kept with the model.

A request must carry the lengths its model's training examples had: the
ingestion cut every example's history and raters to them, and a request
built with others would skew the model's inputs. The pipeline hands each
Trainer the ingestion's lengths in its `custom_config`, the Trainer saves
them beside its SavedModel, and the Pusher copies them with it. So a client
reads them from the very model it calls, not from the newest ingestion,
whose run may have trained a model that was never blessed.
"""

import json
from typing import NamedTuple

# The Trainers' custom_config: the model's hyperparameters and these lengths.
MODEL_CONFIG_KEY = 'model_config'
CUSTOM_CONFIG_KEY = 'request_lengths'
# Where in a SavedModel directory; TF Serving ignores `assets.extra` but
# for its warmup requests, and Pusher copies the whole directory.
FILE = 'assets.extra/request_lengths.json'


class RequestLengths(NamedTuple):
  """How many history movies and movie raters an example carries at most."""
  history: int
  raters: int

  def to_json(self) -> str:
    return json.dumps(self._asdict())

  @classmethod
  def from_json(cls, text: str) -> 'RequestLengths':
    return cls(**json.loads(text))
