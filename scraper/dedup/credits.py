"""Which of a report's lines are its story, and which wire it credits: what fingerprints are taken of.

A copy of a Yonhap or KCNA item on another outlet keeps the story but changes the lines around it: the
dateline and credit (found by `scraper.extract.wire`, which extraction already applies to bodies), the
byline, the reporter's e-mail, the copyright notice, and short chrome lines (menus, buttons, box headings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scraper.dedup.fingerprint import word_count
from scraper.extract.wire import agency, split_wire_lines

# "MADRID —", "BERLIN --": a dateline naming no agency, which `split_wire_lines` leaves in place.
_PLACE_DASH = re.compile(r"^[A-Z][A-Z.'’ -]{2,30}?\s*(?:--|—|–)\s+(?=\S)")
_SOURCE_LINE = re.compile(r"^(?:source|sources|quelle|fuente|источник|출처|来源|來源|出典)\s*[:：]\s*(.+)$", re.I)
_BY = re.compile(r"^(?:by|von|par|por|di|door|af|av)\s+(.+)$", re.I)
_NAME_WORD = re.compile(r"^(?:[A-Z\u00C0-\u024F\u0400-\u042F][\w.'’-]*|and|&|und|et|y|e|og|och|en)$")
_BYLINE_ANYWHERE = re.compile(
    r"\b(?:reporting|writing|editing|additional reporting|compiled|translated) by\b"
    r"|\b(?:staff (?:writer|reporter)|correspondent|(?:senior )?reporter)\b"
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"
    r"|(?:기자|특파원)\s*(?:=|$)|^[가-힣]{2,4}\s*(?:기자|특파원)\b"
    r"|记者|記者",
    re.I,
)
_COPYRIGHT = re.compile(
    r"copyright|©|\(c\)\s*\d{4}|all rights reserved|무단\s*전재|재배포\s*금지|版权所有|版權所有|著作権"
    r"|все права защищены|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?。！？…」』”\"')]\s*$")


@dataclass(frozen=True, slots=True)
class ReportText:
    """A report's story lines, without dateline, credit, byline, copyright and short chrome lines."""

    lines: tuple[str, ...]
    credit: str | None  # the wire the text credits ("Yonhap", "KCNA"), as scraper.extract.wire names it


def _is_byline(line: str) -> bool:
    words = line.split()
    if len(words) > 14:
        return False
    by = _BY.match(line)
    if by and len(words) <= 10 and all(_NAME_WORD.match(word) for word in by.group(1).replace(",", " ").split()):
        return True
    return bool(_BYLINE_ANYWHERE.search(line)) and not _SENTENCE_END.search(line.rstrip(")"))


def _is_chrome(line: str) -> bool:
    """Short lines that are not sentences: menus, breadcrumbs, buttons, headings of boxes."""
    return word_count(line) < 5 and not _SENTENCE_END.search(line)


def read_report(body: str, credit: str | None = None) -> ReportText:
    """Split a body into story lines and find its credit; `credit` (the record's, from extraction) wins."""
    wire = split_wire_lines([line.strip() for line in body.splitlines() if line.strip()])
    found = wire.credit
    kept: list[str] = []
    for line in wire.paragraphs:
        if not kept:
            line = _PLACE_DASH.sub("", line)
        source = _SOURCE_LINE.match(line)
        named = agency(source.group(1) if source else line.strip("/-—–()[] "))
        if named:  # a credit line that chrome kept from the end, or "Source: KCNA"
            found = found or named
            continue
        if (_COPYRIGHT.search(line) and len(line.split()) <= 30) or _is_byline(line) or _is_chrome(line):
            continue
        kept.append(line)
    return ReportText(tuple(kept), (agency(credit) or credit) if credit else found)


def outlet_wire(source_id: str) -> str | None:
    """The wire an outlet is, from its id ("yonhap-en" -> "Yonhap"): its own reports credit it."""
    return agency(source_id.split("-")[0])
