"""The report's page: its sections, its style and the cells every section uses.

One static document: no script at all, styles inline, charts as inline SVG.
"""

import datetime
import html
from typing import Iterable, Sequence

# Section ids, in page order, with their headings; the browser test checks
# each one is there.
SECTIONS = (
    ('overview', 'Run'),
    ('statistics', 'Data statistics'),
    ('anomalies', 'Anomalies'),
    ('rejects', 'Rejected input lines'),
    ('metrics', 'Evaluation metrics'),
    ('plots', 'Plots'),
    ('baseline', 'Baseline comparison and blessing'),
    ('retrieval', 'Retrieval'),
    ('two_stage', 'Two stages: retrieval, then ranking'),
)

STYLE = '''
body { font-family: sans-serif; margin: 2em auto; max-width: 72em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #3366cc;
  padding-bottom: .2em; margin-top: 2em; } h3 { margin-top: 1.4em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right;
         vertical-align: middle; }
th { background: #f0f3fa; } td.text, th.text { text-align: left; }
.ok { color: #227733; font-weight: bold; }
.bad { color: #bb2222; font-weight: bold; }
.note { color: #555; } .charts { display: flex; flex-wrap: wrap; gap: 1em; }
nav a { margin-right: 1em; }
'''


def count(value: float | int) -> str:
  """A count with thousands separators."""
  return f'{int(value):,}'


def number(value: float | int) -> str:
  """Ids, years and timestamps are numbers too: no thousands separators."""
  if float(value).is_integer():
    return str(int(value))
  return f'{value:.4f}'


def shortened(text: str, length: int = 40) -> str:
  """At most `length` characters, an ellipsis marking a cut."""
  return text if len(text) <= length else text[:length - 1] + '…'


def table(header: Sequence[str], rows: Iterable[Sequence[str]],
          text_columns: Sequence[int] = (0,)) -> str:
  """Cells are HTML already; numbers align right, `text_columns` left."""

  def cells(tag: str, row: Sequence[str]) -> str:
    return ''.join(
        f'<{tag} class="text">{cell}</{tag}>' if i in text_columns else
        f'<{tag}>{cell}</{tag}>' for i, cell in enumerate(row))

  body = ''.join(f'<tr>{cells("td", row)}</tr>' for row in rows)
  return f'<table><tr>{cells("th", header)}</tr>{body}</table>'


def missing(what: str) -> str:
  """A note in place of a section part the run has no artifact for."""
  return f'<p class="note">{html.escape(what)}</p>'


def page(run_id: str, bodies: dict[str, str]) -> str:
  """The HTML document: SECTIONS in order, nothing loaded from outside."""
  generated = datetime.datetime.now().isoformat(timespec='seconds')
  navigation = ''.join(f'<a href="#{section}">{html.escape(title)}</a>'
                       for section, title in SECTIONS)
  sections = ''.join(
      f'<section id="{section}"><h2>{html.escape(title)}</h2>'
      f'{bodies[section]}</section>' for section, title in SECTIONS)
  return (
      '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
      f'<title>ytdnn run {html.escape(run_id)}</title>'
      # An empty icon: otherwise the browser asks for /favicon.ico.
      '<link rel="icon" href="data:,">'
      f'<style>{STYLE}</style></head><body>'
      f'<h1>ytdnn run {html.escape(run_id)}</h1>'
      f'<p class="note">Generated {generated}.</p><nav>{navigation}</nav>'
      f'{sections}</body></html>')
