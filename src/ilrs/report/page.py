"""HTML building blocks of the reports: one self-contained page (inline CSS, figures as
data URIs, a few lines of script to filter the event log), every value escaped."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["events_section", "figure", "page", "paragraphs", "section", "table"]

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2328;
max-width:1150px;margin:0 auto;padding:0 1.2em 3em}
h1{font-size:1.7em;margin:.8em 0 .2em}h2{margin-top:1.8em;border-bottom:2px solid #d6dde3;
padding-bottom:.15em}.lead{font-size:1.08em;color:#333}
table{border-collapse:collapse;margin:.6em 0;width:100%}th,td{padding:3px 9px;
text-align:left;vertical-align:top;border-bottom:1px solid #e4e8ec}
th{background:#eef2f5}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafbfc}img{max-width:100%}
dl.findings dt{font-weight:600;margin-top:.6em}dl.findings dd{margin:0 0 0 1.2em}
.verdict-ok{color:#1b7f3a}.verdict-bad{color:#b3261e}.small{font-size:.88em;color:#555}
details summary{cursor:pointer;font-weight:600;margin:.4em 0}
#event-filter{padding:4px 8px;width:22em;margin-right:1em}
nav a{margin-right:.9em}
body.wide{max-width:none}
table.compact{font-size:.8em}table.compact th{font-weight:600;overflow-wrap:anywhere}
table.compact th,table.compact td{padding:2px 4px}
p.finding{font-size:1.15em;font-weight:600;color:#123}
"""

FILTER_JS = """
(function(){var box=document.getElementById('event-filter'),
src=document.getElementById('event-source'),rows=document.querySelectorAll('#event-table tbody tr'),
shown=document.getElementById('event-count');
function apply(){var q=box.value.toLowerCase(),s=src.value,n=0;
rows.forEach(function(r){
var ok=(!s||r.dataset.source===s)&&r.textContent.toLowerCase().indexOf(q)>=0;
r.style.display=ok?'':'none';if(ok)n++;});shown.textContent=n;}
box.addEventListener('input',apply);src.addEventListener('change',apply);})();
"""


def esc(value) -> str:
    return html.escape(str(value))


def table(header: Sequence[str], rows: Iterable[Sequence], numeric: Sequence[int] = (),
          table_id: str | None = None, row_attrs=None, table_class: str | None = None) -> str:
    """A table; columns listed in ``numeric`` are right-aligned; ``table_class``
    ``compact`` sets it small, for many columns."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(f"<td class=num>{esc(v)}</td>" if i in numeric else f"<td>{esc(v)}</td>"
                        for i, v in enumerate(row))
        attrs = row_attrs(row) if row_attrs else ""
        body.append(f"<tr{attrs}>{cells}</tr>")
    ident = f" id={table_id}" if table_id else ""
    ident += f" class={table_class}" if table_class else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure(path: Path, alt: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode()
    return f"<img alt='{esc(alt)}' src='data:image/png;base64,{data}'>"


def paragraphs(*texts: str) -> str:
    return "".join(f"<p>{esc(t)}</p>" for t in texts if t)


def section(ident: str, title: str, body: str) -> str:
    return f"<section id={ident}><h2>{esc(title)}</h2>{body}</section>"


def events_section(events: list[dict]) -> str:
    """Every event, collapsed, with a text filter and a source selector."""
    sources = sorted({e["source"] for e in events})
    options = "".join(f"<option value='{esc(s)}'>{esc(s)}</option>" for s in sources)
    rows = ((e["time_utc"][:19].replace("T", " "), e["source"], e["kind"], e["message"])
            for e in events)
    body = table(("time (UTC)", "source", "kind", "message"), rows, table_id="event-table",
                 row_attrs=lambda r: f" data-source='{esc(r[1])}'")
    return (f"<details id=event-log><summary>All {len(events):,} events "
            f"(showing <span id=event-count>{len(events)}</span>)</summary>"
            "<p><input id=event-filter type=search placeholder='filter: text in any column'>"
            f"<select id=event-source><option value=''>every source</option>{options}"
            f"</select></p>{body}</details><script>{FILTER_JS}</script>")


def page(title: str, header: str, sections: Sequence[tuple[str, str, str]],
         wide: bool = False) -> str:
    """The whole document: a title, a lead, a table of contents and the sections
    (id, title, body); ``wide`` uses the window's whole width (tables of many columns)."""
    nav = "".join(f"<a href='#{ident}'>{esc(name)}</a>" for ident, name, _ in sections)
    body = "".join(section(ident, name, content) for ident, name, content in sections)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>"
            f"<body{' class=wide' if wide else ''}>"
            f"{header}<nav>{nav}</nav>{body}</body></html>\n")
