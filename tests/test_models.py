"""The models package: importing it leaves Keras's own code to run unconverted."""

import importlib

import tensorflow as tf
from tensorflow.python.autograph.impl import conversion


def test_autograph_leaves_tf_keras_unconverted_and_converts_our_layers():
  importlib.import_module('models')
  ranking_model = importlib.import_module('models.ranking_model')
  assert conversion.is_allowlisted(tf.keras.Model.train_step)
  assert conversion.is_allowlisted(tf.keras.optimizers.Adam.apply_gradients)
  assert not conversion.is_allowlisted(ranking_model.HistoryVectors.call)
