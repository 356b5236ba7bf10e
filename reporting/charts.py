"""Inline SVG charts for the HTML report.

Drawn as SVG text rather than with a plotting library so that the report needs
no script, font or image from anywhere and the venv needs no matplotlib.
"""

import html
import math
from typing import Sequence

WIDTH = 560
HEIGHT = 300
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 48
MARGIN_BOTTOM = 64
COLORS = ('#3366cc', '#ee7733', '#229955', '#aa3377', '#777777')
TICKS = 5


def _text(x: float, y: float, text: str, anchor: str = 'middle',
          size: int = 11, rotate: bool = False) -> str:
  transform = f' transform="rotate(-35 {x:.1f} {y:.1f})"' if rotate else ''
  return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
          f'text-anchor="{anchor}"{transform}>{html.escape(text)}</text>')


def nice_max(value: float) -> float:
  """A round axis top at or above `value`, so ticks read as plain numbers."""
  if value <= 0:
    return 1.0
  magnitude = 10 ** math.floor(math.log10(value))
  for step in (1, 2, 2.5, 5, 10):
    if step * magnitude >= value:
      return step * magnitude
  return 10 * magnitude


def _frame(title: str, y_max: float, y_label: str, x_label: str) -> list[str]:
  """Title, y axis with ticks and gridlines, and axis labels."""
  plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
  parts = [_text(WIDTH / 2, 16, title, size=13)]
  for tick in range(TICKS + 1):
    value = y_max * tick / TICKS
    y = HEIGHT - MARGIN_BOTTOM - plot_height * tick / TICKS
    parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" '
                 f'x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" stroke="#dddddd"/>')
    parts.append(_text(MARGIN_LEFT - 4, y + 4, f'{value:g}', anchor='end'))
  parts.append(_text(MARGIN_LEFT, MARGIN_TOP - 12, y_label, anchor='start'))
  parts.append(_text(WIDTH / 2, HEIGHT - 6, x_label))
  return parts


def _legend(names: Sequence[str]) -> list[str]:
  """Right-aligned above the plot, clear of the y label at the left."""
  parts = []
  x = WIDTH - MARGIN_RIGHT - sum(24 + 7 * len(name) for name in names)
  for index, name in enumerate(names):
    parts.append(f'<rect x="{x}" y="{MARGIN_TOP - 24}" width="10" '
                 f'height="10" fill="{COLORS[index % len(COLORS)]}"/>')
    parts.append(_text(x + 14, MARGIN_TOP - 15, name, anchor='start'))
    x += 24 + 7 * len(name)
  return parts


def _svg(parts: list[str], label: str) -> str:
  return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
          f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
          f'aria-label="{html.escape(label)}">' + ''.join(parts) + '</svg>')


def bar_chart(title: str, groups: Sequence[str],
              series: dict[str, Sequence[float]], y_label: str,
              x_label: str) -> str:
  """Grouped bars: one group per x value, one bar per series."""
  values = [v for bars in series.values() for v in bars if math.isfinite(v)]
  y_max = nice_max(max(values, default=0.0))
  plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
  plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
  parts = _frame(title, y_max, y_label, x_label)
  group_width = plot_width / max(len(groups), 1)
  bar_width = group_width * 0.8 / max(len(series), 1)
  for index, (name, bars) in enumerate(series.items()):
    color = COLORS[index % len(COLORS)]
    for position, value in enumerate(bars):
      if not math.isfinite(value):
        continue
      height = plot_height * value / y_max
      x = MARGIN_LEFT + group_width * (position + 0.1) + bar_width * index
      y = HEIGHT - MARGIN_BOTTOM - height
      parts.append(
          f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
          f'height="{height:.1f}" fill="{color}"><title>'
          f'{html.escape(f"{name}, {groups[position]}: {value:.4g}")}'
          '</title></rect>')
  rotate = len(groups) > 8 or max((len(g) for g in groups), default=0) > 8
  for position, group in enumerate(groups):
    x = MARGIN_LEFT + group_width * (position + 0.5)
    parts.append(_text(x, HEIGHT - MARGIN_BOTTOM + 14, group,
                       anchor='end' if rotate else 'middle', rotate=rotate))
  if len(series) > 1:
    parts.extend(_legend(list(series)))
  return _svg(parts, title)


def line_chart(title: str, series: dict[str, Sequence[tuple[float, float]]],
               x_range: tuple[float, float], y_range: tuple[float, float],
               x_label: str, y_label: str, diagonal: bool = False) -> str:
  """Lines through (x, y) points, with a dotted y = x line when asked."""
  plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
  plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
  (x_min, x_max), (y_min, y_max) = x_range, y_range

  def point(x: float, y: float) -> str:
    px = MARGIN_LEFT + plot_width * (x - x_min) / (x_max - x_min)
    py = HEIGHT - MARGIN_BOTTOM - plot_height * (y - y_min) / (y_max - y_min)
    return f'{px:.1f},{py:.1f}'

  parts = [_text(WIDTH / 2, 16, title, size=13)]
  for tick in range(TICKS + 1):
    y_value = y_min + (y_max - y_min) * tick / TICKS
    x_value = x_min + (x_max - x_min) * tick / TICKS
    y = HEIGHT - MARGIN_BOTTOM - plot_height * tick / TICKS
    x = MARGIN_LEFT + plot_width * tick / TICKS
    parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" '
                 f'x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" stroke="#dddddd"/>')
    parts.append(_text(MARGIN_LEFT - 4, y + 4, f'{y_value:.3g}', anchor='end'))
    parts.append(_text(x, HEIGHT - MARGIN_BOTTOM + 14, f'{x_value:.3g}'))
  parts.append(_text(WIDTH / 2, HEIGHT - 6, x_label))
  parts.append(_text(MARGIN_LEFT, MARGIN_TOP - 12, y_label, anchor='start'))
  if diagonal:
    low, high = max(x_min, y_min), min(x_max, y_max)
    parts.append(f'<polyline points="{point(low, low)} {point(high, high)}" '
                 'fill="none" stroke="#999999" stroke-dasharray="4 4"/>')
  for index, (name, points) in enumerate(series.items()):
    color = COLORS[index % len(COLORS)]
    coordinates = ' '.join(point(x, y) for x, y in points)
    parts.append(f'<polyline points="{coordinates}" fill="none" '
                 f'stroke="{color}" stroke-width="2"/>')
    for x, y in points:
      px, py = point(x, y).split(',')
      parts.append(f'<circle cx="{px}" cy="{py}" r="3" fill="{color}"><title>'
                   f'{html.escape(f"{name}: ({x:.4g}, {y:.4g})")}'
                   '</title></circle>')
  if len(series) > 1:
    parts.extend(_legend(list(series)))
  return _svg(parts, title)


def histogram_strip(counts: Sequence[float], width: int = 120,
                    height: int = 28) -> str:
  """A small bar strip of a feature's histogram, to sit in a table cell."""
  top = max(counts, default=0) or 1
  bar = width / max(len(counts), 1)
  bars = ''.join(
      f'<rect x="{i * bar:.1f}" y="{height - height * c / top:.1f}" '
      f'width="{max(bar - 1, 1):.1f}" height="{height * c / top:.1f}" '
      f'fill="{COLORS[0]}"/>' for i, c in enumerate(counts))
  return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
          f'height="{height}" role="img" aria-label="histogram">{bars}</svg>')
