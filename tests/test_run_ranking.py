"""run_ranking.run_pipeline: a failed run still hands back what it measured."""

import pytest

from benchmarks import run_ranking
from contract import splits


def test_a_failed_run_raises_with_the_figures_it_measured(tmp_path):
  with pytest.raises(run_ranking.PipelineFailed,
                     match='ytdnn run failed') as failure:
    run_ranking.run_pipeline(str(tmp_path / 'no-such-data'),
                             str(tmp_path / 'out'), splits.TEMPORAL)
  figures = failure.value.figures
  assert figures['pipeline_wall_s'] > 0
  assert set(figures) == {'pipeline_wall_s', 'peak_rss_mb', 'component_s',
                          'component_peak_rss_mb'}
