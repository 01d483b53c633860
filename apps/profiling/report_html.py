"""A quality and privacy report as one standalone HTML file: inline SVG charts, no script, nothing fetched.

Charts: real vs synthetic histograms per scored column (shares of rows per bin or per category rank) and the
real and synthetic correlation heat maps of the numeric columns. Everything comes from the report's aggregates;
category labels are ranks, never the sample's values.
"""

from __future__ import annotations

from html import escape

REAL, SYNTHETIC = "#1f5f99", "#e07b24"
WIDTH, HEIGHT = 360, 140


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def histogram_svg(histogram: dict) -> str:
    real, synthetic = histogram.get("real", []), histogram.get("synthetic", [])
    if not real:
        return "<p class=empty>no values in the sample</p>"
    top = max(max(real), max(synthetic or [0]), 1e-9)
    slot = WIDTH / len(real)
    bar = max(slot / 2 - 1, 1)
    parts = [f'<svg class=hist width="{WIDTH}" height="{HEIGHT + 16}" role="img" '
             f'aria-label="real and synthetic shares per bin">']
    for i, (r, s) in enumerate(zip(real, synthetic, strict=True)):
        x = i * slot
        for offset, share, colour in ((0, r, REAL), (bar, s, SYNTHETIC)):
            h = HEIGHT * share / top
            parts.append(f'<rect x="{x + offset:.1f}" y="{HEIGHT - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{colour}"><title>{share:.3f}</title></rect>')
    labels = histogram.get("labels")
    if labels:
        for i, label in enumerate(labels):
            parts.append(f'<text x="{i * slot + 1:.1f}" y="{HEIGHT + 12}" font-size="9">{escape(label)}</text>')
    parts.append("</svg>")
    outside = histogram.get("synthetic_outside") or 0
    if outside:
        parts.append(f"<br><small>synthetic rows outside the sample's range: {outside:.1%}</small>")
    return "".join(parts)


def _colour(value) -> str:
    if value is None:
        return "#b0b0b0"
    # -1 blue, 0 white, +1 red.
    level = int(255 * (1 - abs(value)))
    return f"rgb(255,{level},{level})" if value > 0 else f"rgb({level},{level},255)"


def heatmap_svg(columns: list[str], matrix: list[list], title: str) -> str:
    if not columns:
        return ""
    cell = max(14, min(40, 360 // len(columns)))
    label = 110
    size = label + cell * len(columns)
    parts = [f'<figure><figcaption>{escape(title)}</figcaption><svg class=heat width="{size}" height="{size}">']
    for i, name in enumerate(columns):
        parts.append(f'<text x="0" y="{label + i * cell + cell * 0.7:.1f}" font-size="10">{escape(name[:16])}</text>')
        parts.append(f'<text x="{label + i * cell + 2}" y="{label - 4}" font-size="10" '
                     f'transform="rotate(-60 {label + i * cell + 2} {label - 4})">{escape(name[:16])}</text>')
        for j, value in enumerate(matrix[i]):
            parts.append(f'<rect x="{label + j * cell}" y="{label + i * cell}" width="{cell}" height="{cell}" '
                         f'fill="{_colour(value)}"><title>{escape(name)} / {escape(columns[j])}: '
                         f'{_fmt(value)}</title></rect>')
    parts.append("</svg></figure>")
    return "".join(parts)


def _rows(items) -> str:
    return "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in item) + "</tr>" for item in items)


STYLE = ("body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.cols{display:flex;flex-wrap:wrap;gap:1em}"
         ".key span{display:inline-block;width:12px;height:12px;margin:0 4px}")


def render(report: dict, title: str = "Quality and privacy report") -> str:
    """The standalone file."""
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{render_body(report)}</body></html>")


def render_body(report: dict) -> str:
    """The report's scores, tables and charts as an HTML fragment (every text escaped), for the file and the
    console page."""
    quality = report["quality"]
    out = [f"<p class=overall>Overall quality score: <strong>{_fmt(quality['overall'])}</strong> "
           f"({escape(report.get('definitions', ''))})</p><table><tr><th>Property</th><th>Score</th></tr>",
           _rows((name.replace("_", " "), _fmt(score)) for name, score in quality["properties"].items()),
           "</table>",
           f'<p class=key><span style="background:{REAL}"></span>sample <span style="background:{SYNTHETIC}">'
           "</span>synthetic</p>"]
    shapes = {(row["table"], row["column"]): row for row in quality["details"]["column_shapes"]}
    for table, data in report["tables"].items():
        privacy = data["privacy"]
        dcr = privacy.get("dcr") or {}
        out.append(f"<h2>Table {escape(table)}</h2><p>{data['rows']['sample']} sample rows, "
                   f"{data['rows']['synthetic']} synthetic rows.</p><h3>Privacy</h3><table>")
        out.append(_rows([
            ("Exact-copy rate", _fmt(privacy["exact_copy_rate"])),
            ("Median distance to closest record, synthetic", _fmt(dcr.get("synthetic_median"))),
            ("Median distance to closest record, holdout", _fmt(dcr.get("holdout_median"))),
        ]))
        out.append("</table>")
        if privacy["pii_columns"]:
            out.append("<h3>Personal data columns</h3><table><tr><th>Column</th><th>Generated by</th></tr>")
            out.append(_rows((p["column"], p["generated_by"]) for p in privacy["pii_columns"]))
            out.append("</table>")
        out.append("<h3>Column shapes</h3><div class=cols>")
        for column, histogram in data["histograms"].items():
            row = shapes.get((table, column), {})
            out.append(f"<figure><figcaption>{escape(column)}: {escape(row.get('metric', ''))} "
                       f"{_fmt(row.get('score'))}</figcaption>{histogram_svg(histogram)}</figure>")
        out.append("</div>")
        correlations = data["correlations"]
        if correlations["columns"]:
            out.append("<h3>Correlations</h3><div class=cols>")
            out.append(heatmap_svg(correlations["columns"], correlations["real"], "Sample"))
            out.append(heatmap_svg(correlations["columns"], correlations["synthetic"], "Synthetic"))
            out.append("</div>")
    return "".join(out)
