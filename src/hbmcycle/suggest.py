"""Suggestions for a name the user mistyped: a difflib did-you-mean and a short list of valid choices."""

from __future__ import annotations

import difflib

# How many choices a message lists before it says "... and N more".
MAX_CHOICES_SHOWN = 8


def choices_hint(wanted: str, choices: list[str], aliases: dict[str, str] | None = None) -> str:
    """'did you mean X?' plus the first few valid choices, never all fifty on one line.

    ``aliases`` maps other spellings (a product name, an id without its vendor prefix) to the
    choice they stand for, so 'h1000' can suggest nvidia_h100_sxm through its alias 'h100_sxm'.
    """
    by_lower = {c.lower(): c for c in choices} | {a.lower(): c for a, c in (aliases or {}).items()}
    close = difflib.get_close_matches(wanted.lower(), list(by_lower), n=6, cutoff=0.5)
    suggested = list(dict.fromkeys(by_lower[c] for c in close))[:3]
    parts = []
    if suggested:
        parts.append("did you mean " + " or ".join(repr(c) for c in suggested) + "?")
    shown = choices[:MAX_CHOICES_SHOWN]
    more = f" ... and {len(choices) - len(shown)} more" if len(choices) > len(shown) else ""
    parts.append(f"valid: {', '.join(shown)}{more}")
    return " ".join(parts)
