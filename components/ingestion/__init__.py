"""Turns raw MovieLens 1M files into validated, leakage-free CSV examples."""
