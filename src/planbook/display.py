"""Text as planbook shows it to a person: one line, short, and safe for a terminal."""

from __future__ import annotations

import re

#: Control characters, and the bidi overrides that can make text read other than it is.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shorten(text: str, limit: int = 60) -> str:
    """A cell's text on one line, cut with an ellipsis: for messages and listings."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def escape_controls(text: str) -> str:
    """Control and bidi-override characters as ``\\x1b``; line breaks and tabs kept."""
    return _UNSAFE.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def safe(text: str) -> str:
    """One line, control and bidi-override characters escaped (never sent raw to a terminal)."""
    flat = " ".join(text.replace("\t", " ").splitlines()) if "\n" in text or "\r" in text else text
    return escape_controls(flat)


def safe_lines(text: str) -> str:
    """Like ``safe`` for each line of a multi-line text (tabs kept)."""
    return "\n".join(escape_controls(line) for line in text.split("\n"))
