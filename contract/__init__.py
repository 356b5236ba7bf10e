"""The ground floor: feature names, split names and rules, paths and the schema.

It imports nothing of the project, and every layer above may import it.

Importing it also selects Keras 2 (`tf_keras`) for TensorFlow, which TFX 1.16
needs. TensorFlow resolves `tf.keras` lazily, on first use, and TFX, TFMA and
TFDV use it as they are imported; so every entry point (the `ytdnn` command,
the benchmarks package, the tests' conftest) imports this package before
anything of the TFX stack.

It also turns TensorFlow's oneDNN kernels off. On this project's small
matrices their per-call cost outweighs their speed: the pushed ranking model
answered requests of 100 candidates in 1.81-2.04 ms p50 and 2.59-4.30 ms p99
without them, against 2.02-3.12 ms and 2.81-6.63 ms with them (six pairs of
processes, alternating, on full ml-1m's temporal model at load 1.1-1.7),
while training took the same time (one member's 9 epochs: 114 s against
112 s). Set TF_ENABLE_ONEDNN_OPTS=1 to have them back.
"""

import os

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '0')
