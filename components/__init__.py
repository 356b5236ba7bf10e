"""Custom TFX components of the YouTube DNN pipeline."""

# Kubeflow V2 containers import artifact classes by TYPE_NAME, which for the
# ingestion report is components.IngestionReport.
from components.ingestion.component import IngestionReport

__all__ = ['IngestionReport']
