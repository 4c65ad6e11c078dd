"""What a search result shows of a text: the words searched marked (highlight()), the
sentence that holds the most of them (snippet()), a readable line of a long text
(readable_line()); the words marked are the search's terms but the common French ones."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator

from django.utils.safestring import mark_safe

from core.search import search_terms
from core.text import fold, normalize, normalize_folded

_WORD_REST = re.compile(r"\w*")

# Words too common to mark in a text: "terres de lorraine" marks "Terres" and "Lorraine",
# not every "de" (nor, as a word's beginning, "département").
STOP_WORDS = frozenset(
    {"a", "au", "aux", "ce", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "ou"}
    | {"par", "pour", "qu", "que", "sa", "se", "ses", "sur", "un", "une"}
)


@functools.lru_cache(maxsize=256)
def marked_terms(query: str) -> tuple[str, ...]:
    """The words of `query` that `highlight()` marks: its search terms but the common
    French words, unless the query is nothing else (memoized, as search_terms())."""
    terms = search_terms(query)
    return tuple(term for term in terms if term not in STOP_WORDS) or terms


@functools.lru_cache(maxsize=256)
def _term_pattern(term: str) -> re.Pattern:
    # A marked word where a word begins (compiled once per word, not per text marked).
    return re.compile(rf"(?<!\w){re.escape(term)}")


def _held_terms(folded: str, query: str) -> int:
    """How many of the words `highlight()` marks for `query` the folded text holds."""
    return sum(
        1 for term in marked_terms(query) if term in folded and _term_pattern(term).search(folded)
    )


def highlight(
    text: str, query: str, *, width: int = 0, folded: str | None = None
) -> tuple[str, int]:
    """`text` as HTML with the words of `query` marked (<mark>), accents and case folded.

    With `width`, only an excerpt of about that many characters around the first match.
    Returns (html, how many of the query's words it holds). Words match by their
    beginning, as search does ("coopérative" marks "coopératives"). `folded`: fold(text),
    when the caller has it already.
    """
    text = text or ""
    # Fold character by character, remembering where each folded character comes from.
    folded_text = fold(text) if folded is None else folded
    if len(folded_text) == len(text):
        # Accents folded one character for one (the usual case): positions are the same.
        origin = range(len(text))
    else:
        # A ligature ("œ" → "oe") moved them: map each folded character to its source.
        folded, origin = [], []
        for index, character in enumerate(text):
            for piece in fold(character):
                folded.append(piece)
                origin.append(index)
        folded_text = "".join(folded)
    spans, found = [], 0
    for term in marked_terms(query):
        if term not in folded_text:  # the usual case for most pieces: no regex run
            continue
        matches = list(_term_pattern(term).finditer(folded_text))
        found += bool(matches)
        for match in matches:
            end = _WORD_REST.match(folded_text, match.end()).end()
            spans.append((origin[match.start()], origin[end - 1] + 1))
    spans = _merge(sorted(spans))
    start, stop, prefix, suffix = 0, len(text), "", ""
    if width and len(text) > width:
        anchor = spans[0][0] if spans else 0
        start = max(0, anchor - width // 3)
        if start:
            start = text.rfind(" ", 0, start) + 1
            prefix = "… "
        stop = min(len(text), start + width)
        if stop < len(text):
            stop = max(text.rfind(" ", start, stop), start + 1)
            suffix = " …"
    parts, cursor = [prefix], start
    for span_start, span_stop in spans:
        if span_stop <= start or span_start >= stop:
            continue
        span_start, span_stop = max(span_start, start), min(span_stop, stop)
        parts.append(html.escape(text[cursor:span_start]))
        parts.append(f"<mark>{html.escape(text[span_start:span_stop])}</mark>")
        cursor = span_stop
    # The standard library's escape, as Django's is, without the lazy-text check and the
    # safe string of each piece: the whole is marked safe once (a search page escapes
    # 150 pieces).
    parts.append(html.escape(text[cursor:stop]))
    parts.append(suffix)
    return mark_safe("".join(parts)), found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, stop in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(stop, merged[-1][1]))
        else:
            merged.append((start, stop))
    return merged


# A sentence ends with . ! ? or … followed by a space and a capital, a blank line, or a line
# break before a list item.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"(\[A-ZÀ-Ý0-9])|\n\s*\n|\n\s*(?=[-•*▸►]\s)")
_BULLET_START = re.compile(r"^[-•*▸►]\s+")
_SPACES = re.compile(r"\s+")


def sentences(text: str) -> Iterator[str]:
    """The sentences of `text`, whitespace collapsed, list bullets dropped, one at a time
    (snippet() stops at the first that holds every word)."""
    for piece in _SENTENCE_END.split(text or ""):
        piece = _SPACES.sub(" ", _BULLET_START.sub("", piece.strip())).strip()
        if piece:
            yield piece


def snippet(texts: list[str], query: str, *, width: int, avoid: list[str] = ()) -> tuple[str, int]:
    """The sentence of `texts` that holds the most words of `query`, as HTML with the words
    marked, cut to about `width` characters around them when longer (the earliest
    sentence among equals). A sentence that only repeats one of `avoid` (the title) is
    never chosen. Returns (html, how many of the query's words it holds): ("", 0) when no
    sentence holds any."""
    avoided = {normalize(text) for text in avoid if text}
    terms = marked_terms(query)

    def may_hold(folded: str) -> bool:
        # A cheap first look (a word marked is at least a substring of the folded text):
        # only the sentences that pass it are marked, most of a long text is not.
        return any(term in folded for term in terms)

    best: tuple[str, int] = ("", 0)
    for text in texts:
        if not text or not may_hold(fold(text)):
            continue
        for sentence in sentences(text):
            # Folded once: for the first look, the title's test and the marking.
            folded = fold(sentence)
            if not may_hold(folded) or normalize_folded(folded) in avoided:
                continue
            html, found = highlight(sentence, query, width=width, folded=folded)
            if found > best[1]:
                best = (html, found)
                if found == len(terms):
                    # Every word: no later sentence can hold more, and the earliest wins.
                    return best
    return best


def readable_line(
    parts: list[str], query: str, *, avoid: list[str] = (), details: int = 2
) -> tuple[str, int]:
    """A short line from `parts`, as HTML with the query's words marked: the first part
    (what the record is), then up to `details` of the others that hold the query's words
    (else the first other one), joined with " · "; never an empty part, one repeating one of
    `avoid` (the title) nor one said already. Returns (html, how many of the query's words
    it holds)."""
    seen = {normalize(text) for text in avoid if text}
    kept: list[tuple[str, str, int]] = []
    for part in parts:
        part = str(part or "")
        key = normalize(part)
        if key and key not in seen:
            seen.add(key)
            kept.append((part, *highlight(part, query)))
    if not kept:
        return "", 0
    head, others = kept[0], kept[1:]
    matching = [item for item in others if item[2]][:details] or others[:1]
    line = [head, *matching]
    # The words the whole line holds (one may be in two parts): counted, not marked again.
    found = _held_terms(fold(" ".join(text for text, _html, _found in line)), query)
    return mark_safe(" · ".join(html for _text, html, _found in line)), found
