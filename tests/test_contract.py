"""Importing `contract` configures TensorFlow before anything loads it."""

import tensorflow as tf
from tensorflow.python.util import _pywrap_util_port  # pylint: disable=g-direct-tensorflow-import


def test_keras_2_is_selected():
  assert tf.keras.__name__.startswith('tf_keras')


def test_onednn_kernels_are_off():
  assert not _pywrap_util_port.IsMklEnabled()
