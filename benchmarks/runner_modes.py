"""The DirectRunner's two local modes side by side on one protocol.

  .venv/bin/python -m benchmarks.runner_modes --mode multi_processing \\
      --output-dir /tmp/ytdnn-mp [--data-dir ../shared/data/ml-1m]

Runs `ytdnn run` with `--direct_running_mode=<mode>` and 2 workers (or 1 for
in_memory) and samples the summed RSS of the whole process tree every second,
since multi-processing workers are separate processes.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import psutil

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKERS = {'in_memory': 1, 'multi_processing': 2}


def tree_rss(process: psutil.Process) -> int:
  """Bytes resident in the process and all its descendants."""
  total = 0
  for member in [process, *process.children(recursive=True)]:
    try:
      total += member.memory_info().rss
    except psutil.NoSuchProcess:
      pass
  return total


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--mode', choices=sorted(WORKERS), required=True)
  parser.add_argument('--output-dir', required=True)
  parser.add_argument('--protocol', default='temporal')
  parser.add_argument('--data-dir', default=os.path.join(
      REPO, '..', 'shared', 'data', 'ml-1m'))
  args = parser.parse_args()
  command = [
      os.path.join(os.path.dirname(sys.executable), 'ytdnn'), 'run',
      '--data-dir', args.data_dir, '--output-dir', args.output_dir,
      '--split-protocol', args.protocol,
      f'--beam-arg=--direct_running_mode={args.mode}',
      f'--beam-arg=--direct_num_workers={WORKERS[args.mode]}']
  started = time.monotonic()
  with tempfile.TemporaryFile('w+') as output:
    child = subprocess.Popen(command, stdout=output, text=True)
    process = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
      peak = max(peak, tree_rss(process))
      time.sleep(1)
    output.seek(0)
    print(output.read())
  print(json.dumps({
      'mode': args.mode, 'workers': WORKERS[args.mode],
      'exit_status': child.returncode,
      'wall_s': time.monotonic() - started,
      'peak_tree_rss_mb': peak / 2**20,
  }))


if __name__ == '__main__':
  main()
