"""Presentation helpers of the templates: source text as paragraphs and lists, bounded
counts, JSON-LD (registered as filters and globals by essdir.templating)."""

from __future__ import annotations

import functools
import json
import re

from django.utils.html import conditional_escape, format_html, urlize
from django.utils.safestring import mark_safe

from core.pagination import bounded_label

_BULLET = re.compile(r"^(\s*)(?:[-•*▸►]|\d+[.)])\s+")


def _inline(text: str) -> str:
    # urlize's regexes are slow on long texts: only run them where a link may be.
    if "http" in text or "www." in text or "@" in text:
        return urlize(conditional_escape(text), nofollow=True)
    return conditional_escape(text)


def rich_text(value: str | None) -> str:
    """Blank-line separated paragraphs; lines starting with "- " become (nested) lists."""
    if not value:
        return ""
    return _rich_text(value)


# The long texts of the sources are rendered on every view of their page: keep the HTML of
# the most recent ones (a pure function of the text).
@functools.lru_cache(maxsize=1024)
def _rich_text(value: str) -> str:
    html: list[str] = []
    for block in re.split(r"\n\s*\n", value.strip()):
        lines = block.splitlines()
        if any(_BULLET.match(line) for line in lines):
            html.append(_list(lines))
        else:
            html.append(f"<p>{_inline(' '.join(line.strip() for line in lines))}</p>")
    return mark_safe("\n".join(html))


def _list(lines: list[str]) -> str:
    # Group continuation lines with their bullet, then nest by indentation.
    items: list[tuple[int, str]] = []
    intro: list[str] = []
    for line in lines:
        match = _BULLET.match(line)
        if match:
            items.append((len(match.group(1)), line[match.end() :].strip()))
        elif items:
            depth, text = items[-1]
            items[-1] = (depth, f"{text} {line.strip()}")
        else:
            intro.append(line.strip())
    out = [f"<p>{_inline(' '.join(intro))}</p>"] if intro else []
    base = min(depth for depth, _ in items)
    out.append("<ul>")
    stack = [base]
    first = True
    for depth, text in items:
        if depth > stack[-1]:
            out.append("<ul>")
            stack.append(depth)
        else:
            if not first:
                out.append("</li>")
            while len(stack) > 1 and depth < stack[-1]:
                out.append("</ul></li>")
                stack.pop()
        out.append(f"<li>{_inline(text)}")
        first = False
    out.append("</li>")
    while len(stack) > 1:
        out.append("</ul></li>")
        stack.pop()
    out.append("</ul>")
    return "".join(out)


def bounded(count: int) -> str:
    """A count from `bounded_count()`: "plus de 1 000" past the exact bound, else the number."""
    return bounded_label(count)


_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld(data: dict) -> str:
    """`data` (schema.org) as a JSON-LD data block: no code, so the strict CSP allows it."""
    payload = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))
