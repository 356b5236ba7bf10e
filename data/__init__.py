"""The synthetic sample, its generator, and the download of the real MovieLens releases."""
