"""Turns raw MovieLens 1M files into validated, leakage-free TFX Examples."""
