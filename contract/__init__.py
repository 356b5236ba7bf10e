"""The ground floor: feature names, split names and rules, paths and the schema.

It imports nothing of the project, and every layer above may import it.

Importing it also selects Keras 2 (`tf_keras`) for TensorFlow, which TFX 1.16
needs. TensorFlow resolves `tf.keras` lazily, on first use, and TFX, TFMA and
TFDV use it as they are imported; so every entry point (the `ytdnn` command,
the benchmarks package, the tests' conftest) imports this package before
anything of the TFX stack.
"""

import os

os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
