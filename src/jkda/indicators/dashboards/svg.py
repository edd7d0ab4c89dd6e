"""Server-side SVG charts (no script, no internet): a year's trend with its milestones, and the units below an area
ranked as horizontal bars with the milestone (or target) line. Drawn from the geometry `board.build` computes;
every text is escaped."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from . import board as B


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def trend(row: B.Row) -> SafeString:
    w, h, pad = B.TREND_W, B.TREND_H, B.TREND_PAD
    milestone = _("milestone")
    label = escape(_("Trend over the months of the year"))
    out = [f'<svg class="trend" id="trend-{escape(row.code)}" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
           f'aria-label="{label}">',
           f'<rect class="frame" x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}"/>',
           f'<text class="axis" x="2" y="{pad + 4}">{row.scale}%</text>',
           f'<text class="axis" x="2" y="{h - pad + 4}">0</text>']
    if row.milestone_path:
        out.append(f'<path class="milestone" d="{row.milestone_path}"><title>{escape(milestone)}</title></path>')
    if row.trend_path:
        out.append(f'<path class="line" d="{row.trend_path}"/>')
    for p in row.trend:
        if p.y is not None:
            title = _("month %(m)d: %(pct)s (%(n)d/%(d)d)") % {"m": p.month, "pct": _pct(p.percent),
                                                                "n": p.numerator, "d": p.denominator}
            if p.milestone is not None:
                title += f" · {milestone} {p.milestone}%"
            out.append(f'<circle cx="{p.x}" cy="{p.y}" r="2.5"><title>{escape(title)}</title></circle>')
        out.append(f'<text class="axis" x="{p.x}" y="{h - 3}" text-anchor="middle">{p.month}</text>')
    out.append("</svg>")
    return mark_safe("".join(out))


def bars(row: B.Row, query: str = "") -> SafeString:
    if not row.bars:
        return mark_safe("")
    w, height, label = B.BAR_W, row.bars_height, B.BAR_LABEL
    aria = escape(_("Units ranked"))
    out = [f'<svg class="bars" id="bars-{escape(row.code)}" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {w} {height}" width="{w}" height="{height}" role="img" '
           f'aria-label="{aria}">']
    for b in row.bars:
        fig = b.figure
        cls = "bar met" if b.met else ("bar below" if b.met is False else "bar")
        name = fig.name if len(fig.name) <= 11 else fig.name[:10] + "…"
        text = (f'<text class="name" x="{label - 4}" y="{b.y + 13}" text-anchor="end">{fig.rank or "–"}. '
                f'{escape(name)}<title>{escape(fig.name)}</title></text>'
                f'<rect x="{label}" y="{b.y + 3}" width="{b.width}" height="12"/>'
                f'<text class="value" x="{b.label_x}" y="{b.y + 13}">{_pct(b.percent)} '
                f'({fig.numerator}/{fig.denominator})</text>')
        if b.url:
            text = f'<a href="{escape(b.url + query)}">{text}</a>'
        out.append(f'<g class="{cls}">{text}</g>')
    if row.target_x is not None:
        if row.milestone is not None:
            title = _("milestone %(pct)s%%") % {"pct": row.milestone}
        else:
            title = _("annual target %(pct)s%%") % {"pct": row.target.annual}
        out.append(f'<line class="target" x1="{row.target_x}" y1="0" x2="{row.target_x}" y2="{height}">'
                   f'<title>{escape(title)}</title></line>')
    out.append("</svg>")
    return mark_safe("".join(out))
