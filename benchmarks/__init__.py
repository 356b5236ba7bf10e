"""Full-data benchmarks and experiments; run each as `python -m benchmarks.NAME`.

Importing the package first imports `contract`, which selects Keras 2 for
TensorFlow before any benchmark loads it.
"""

import os

import contract  # pylint: disable=unused-import

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
