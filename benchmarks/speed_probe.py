"""How fast this machine is today: a fixed Python loop and a fixed TF computation.

Machines of this kind differ up to 4x in speed from day to day (the same
temporal benchmark took 1,112 s one day and 4,154 s the next), and
Python-heavy stages (Beam, TFMA's combiners) slow down more than TF kernels.
Every results file stores both probes, measured at its start, so figures from
different days can be set side by side.
"""

import time

import tensorflow as tf

PYTHON_ADDITIONS = 20_000_000
MATMUL_SIZE = 1024
MATMULS = 50


def python_loop_s() -> float:
  """Seconds for PYTHON_ADDITIONS integer additions in a plain Python loop."""
  started = time.perf_counter()
  total = 0
  for value in range(PYTHON_ADDITIONS):
    total += value
  return time.perf_counter() - started


def tf_matmul_s() -> float:
  """Seconds for MATMULS float32 products of two MATMUL_SIZE-square matrices."""
  matrix = tf.random.stateless_uniform([MATMUL_SIZE, MATMUL_SIZE], seed=(0, 0))
  product = tf.linalg.matmul(matrix, matrix)
  started = time.perf_counter()
  for _ in range(MATMULS):
    product = tf.linalg.matmul(matrix, product) / MATMUL_SIZE
  product.numpy()
  return time.perf_counter() - started


def probe() -> dict[str, float]:
  """Both probes, named after what they time."""
  return {'python_20m_additions_s': python_loop_s(),
          'tf_50_matmuls_1024_s': tf_matmul_s()}
