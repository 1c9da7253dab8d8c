"""One self-contained HTML page: inline CSS, figures as PNG data URIs, no scripts, no links out."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape


@dataclass(frozen=True)
class FigureBlock:
    name: str  # also the PNG's file name with --png
    png: bytes
    caption: str  # plain text


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str = ""  # plain text
    figures: Sequence[FigureBlock] = ()
    html: str = ""  # trusted markup made by the report itself (tables)
    notes: Sequence[str] = field(default_factory=tuple)


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 1060px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 2px; }
h2 { font-size: 18px; margin: 32px 0 6px; padding-top: 8px; border-top: 1px solid #ddd; }
.sub { color: #666; margin: 0 0 12px; }
nav { font-size: 13px; margin: 8px 0 16px; }
nav a { margin-right: 14px; color: #1f5f99; text-decoration: none; }
figure { margin: 10px 0 18px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 13px; margin-top: 4px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 10px; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
table.summary tbody th { font-weight: 600; white-space: nowrap; }
.tables { display: flex; flex-wrap: wrap; gap: 0 28px; align-items: flex-start; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
details { margin: 4px 0; font-size: 13px; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
.note { color: #8a5a00; font-size: 13px; }
"""


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    nav = "".join(f'<a href="#{s.id}">{escape(s.title)}</a>' for s in sections)
    body = "".join(_section(s) for s in sections)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            f'<h1>{escape(title)}</h1><p class="sub">{escape(subtitle)}</p><nav>{nav}</nav>{body}</body></html>\n')


def _section(s: Section) -> str:
    parts = [f'<section id="{s.id}"><h2>{escape(s.title)}</h2>']
    if s.intro:
        parts.append(f"<p>{escape(s.intro)}</p>")
    parts += [f'<p class="note">{escape(n)}</p>' for n in s.notes]
    for f in s.figures:
        parts.append(f'<figure id="fig-{f.name}"><img src="{data_uri(f.png)}" alt="{escape(f.caption)}">'
                     f"<figcaption>{escape(f.caption)}</figcaption></figure>")
    parts.append(s.html)
    parts.append("</section>")
    return "".join(parts)
