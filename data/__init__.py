"""The synthetic sample, its generator, and the download of the real ml-1m."""
