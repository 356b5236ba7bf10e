"""The closing summary's text."""

from reporting import summary


def test_summary_shows_metrics_changes_and_the_push():
  text = summary.format_summary(summary.RunSummary(
      blessed=True,
      metrics={'rating/root_mean_squared_error': 0.9236, 'liked/auc': 0.8},
      changes={'rating/root_mean_squared_error': -0.0125},
      pushed_model='/out/serving_model/17'))
  lines = text.splitlines()
  assert lines[0] == 'Model blessed: yes'
  assert lines[1].split() == ['liked/auc', '0.8000']
  assert lines[2].split()[:2] == ['rating/root_mean_squared_error', '0.9236']
  assert '(-0.0125 vs last blessed model)' in lines[2]
  assert lines[-1] == 'Pushed model: /out/serving_model/17'


def test_summary_says_when_nothing_was_pushed():
  text = summary.format_summary(summary.RunSummary(
      blessed=False, metrics={}, changes={}, pushed_model=None))
  assert text.splitlines() == [
      'Model blessed: no', 'Pushed model: none (not blessed, nothing pushed)']


def test_summary_shows_the_retrieval_model_beside_popularity():
  text = summary.format_summary(summary.RunSummary(
      blessed=True, metrics={}, changes={}, pushed_model='/out/ranking/1',
      retrieval_blessed=True,
      retrieval_metrics={'hr@10': 0.25, 'hr@50': 0.5},
      retrieval_popularity_metrics={'hr@10': 0.035, 'hr@50': 0.13},
      retrieval_pushed_model='/out/retrieval/1'))
  lines = text.splitlines()
  assert lines[2] == 'Retrieval model blessed: yes'
  assert lines[3].split() == ['hr@10', '0.2500', '(popularity:', '0.0350)']
  assert lines[-1] == 'Pushed retrieval model: /out/retrieval/1'


def test_summary_shows_the_ranking_stage_beside_retrieval_alone():
  text = summary.format_summary(summary.RunSummary(
      blessed=True, metrics={}, changes={}, pushed_model=None,
      two_stage_blessed=False,
      two_stage_metrics={'ndcg@10': (0.1850, 0.1904)}))
  assert ('Ranking stage blessed (retrieve, then rank, no worse than '
          'retrieval alone): no') in text
  assert 'ndcg@10' in text and '0.1850  (retrieval alone: 0.1904)' in text
