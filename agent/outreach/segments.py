"""SMS segments (GSM 03.38 / 3GPP 23.038).

Definitions:
- A text is GSM-7 when every character is in the GSM 7-bit default alphabet or its extension
  table; otherwise it is sent as UCS-2 (UTF-16: an emoji outside the BMP is 2 code units).
- GSM-7: a basic character costs 1 septet, an extension character (`^ { } \\ [ ~ ] | €` and form
  feed) costs 2 (escape + char). One segment holds 160 septets; a multipart message holds 153
  per segment (the rest is the concatenation header) and an escape pair is never split.
- UCS-2: one segment holds 70 code units; a multipart message 67 per segment, and a surrogate
  pair is never split.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _pack(costs: list[int], single: int, multi: int) -> int:
    total = sum(costs)
    if total == 0:
        return 1  # an empty SMS is still one segment
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:  # greedy: a unit that does not fit (escape pair, surrogate) moves on
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def count_segments(text: str) -> SegmentCount:
    """Encoding, length in units and the number of segments the text is billed as."""
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        return SegmentCount("GSM-7", sum(costs), _pack(costs, GSM7_SINGLE, GSM7_MULTI))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentCount("UCS-2", sum(costs), _pack(costs, UCS2_SINGLE, UCS2_MULTI))
