"""The layout's import rule, read from the sources: every arrow points down.

README.md ("How the code is laid out") explains the layers; this test is
what keeps them. A module may import its own folder and any folder of a lower
layer, never one of its own layer or above. The Transform and Trainer modules
are imported by nobody: the pipeline names them by dotted path.
"""

import ast
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Folder (or top-level module) -> layer, lowest first.
LAYERS = {
    'contract': 0,
    'data': 1, 'transforms': 1, 'models': 1,
    'components': 2, 'trainer_module': 2, 'retrieval_trainer_module': 2,
    'pipeline': 3,
    'serving': 4,
    'reporting': 5,
    'cli': 6,
    'benchmarks': 7,
}
REACHED_BY_DOTTED_PATH_ONLY = ('transforms', 'trainer_module',
                               'retrieval_trainer_module')


def _sources() -> list[str]:
  files = []
  for name in LAYERS:
    path = os.path.join(REPO, name)
    if os.path.isfile(path + '.py'):
      files.append(path + '.py')
    for folder, _, names in os.walk(path):
      files += [os.path.join(folder, n) for n in names if n.endswith('.py')]
  return sorted(files)


def project_imports(source: str) -> list[tuple[int, str]]:
  """(line, top-level name) of every import of a project module in a source."""
  found = []
  for node in ast.walk(ast.parse(source)):
    if isinstance(node, ast.Import):
      names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
      names = [node.module]
    else:
      continue
    found += [(node.lineno, name.split('.')[0]) for name in names
              if name.split('.')[0] in LAYERS]
  return found


def back_arrows(layer: str, source: str) -> list[str]:
  """The imports of a module in `layer` that break the rule, as text."""
  broken = []
  for line, imported in project_imports(source):
    if imported == layer:
      continue
    if imported in REACHED_BY_DOTTED_PATH_ONLY:
      broken.append(f'line {line}: imports {imported}, which is reached by '
                    'dotted path only')
    elif LAYERS[imported] >= LAYERS[layer]:
      broken.append(f'line {line}: {layer} (layer {LAYERS[layer]}) imports '
                    f'{imported} (layer {LAYERS[imported]})')
  return broken


@pytest.mark.parametrize('path', _sources(),
                         ids=lambda p: os.path.relpath(p, REPO))
def test_imports_point_down(path):
  layer = os.path.relpath(path, REPO).split(os.sep)[0].removesuffix('.py')
  with open(path, encoding='utf-8') as file:
    assert back_arrows(layer, file.read()) == []


def test_a_back_arrow_is_caught():
  assert back_arrows('models', 'from pipeline import configs\n') == [
      'line 1: models (layer 1) imports pipeline (layer 3)']
  assert back_arrows('pipeline', 'import trainer_module\n') == [
      'line 1: imports trainer_module, which is reached by dotted path only']
  assert back_arrows('serving', 'from serving import scoring\n') == []
