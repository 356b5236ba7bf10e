"""Custom TFX components of the YouTube DNN pipeline."""

from components.ingestion.component import IngestedRatings
