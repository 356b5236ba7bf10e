"""The two Keras models: their layers, training and serving signatures.

Importing the package also tells AutoGraph to run `tf_keras` as it is, as
TensorFlow's own rules already run `keras`. TF 2.16 lists `keras` among the
packages AutoGraph leaves unconverted inside a tf.function, but not
`tf_keras`, the name Keras 2 has under TF_USE_LEGACY_KERAS. So tracing the
first training step converted Keras's train step, losses, metrics and
optimizer from their source, one function at a time: the ranking model's
first step on ml-1m took 19.7 s, against 3.1 s with this rule, and the
steps after it took as long either way. The project's own layers are still
converted. There is no public API for the rule; it is TensorFlow's own list.
"""

from tensorflow.python.autograph.core import config as _autograph_config


def _leave_tf_keras_unconverted() -> None:
  rules = _autograph_config.CONVERSION_RULES
  if not any(rule.matches('tf_keras') for rule in rules
             if isinstance(rule, _autograph_config.DoNotConvert)):
    _autograph_config.CONVERSION_RULES = rules + (
        _autograph_config.DoNotConvert('tf_keras'),)


_leave_tf_keras_unconverted()
