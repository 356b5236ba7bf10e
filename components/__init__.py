"""Custom TFX components of the YouTube DNN pipeline."""
