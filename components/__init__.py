"""Custom TFX components of the YouTube DNN pipeline."""

# Kubeflow V2 containers import artifact classes by TYPE_NAME, which for the
# ingestion output is components.IngestedRatings.
from components.ingestion.component import IngestedRatings

__all__ = ['IngestedRatings']
