"""LaTeX in Markdown cells rendered to MathML at build time, so formulas read as math with no script.

``$...$`` becomes inline and ``$$...$$`` display MathML (latex2mathml); Chromium, Firefox and
Safari draw MathML natively, offline. Code spans and fences are left alone. An inline ``$`` needs
a non-space after it and before its closing ``$``, and a closing ``$`` followed by a digit does
not close (Pandoc's rule), so prices such as "$1.4M and $2M" stay text.
"""

from __future__ import annotations

import re

CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
# Inline math may wrap onto following lines of its paragraph, never across a blank line.
INLINE = re.compile(r"(?<![\\$])\$(?=\S)((?:[^$\n]|\n(?![ \t]*(?:#[ \t]*)?\n))+?)(?<=[^\s\\])\$(?!\d)")


# latex2mathml passes a command it does not know through as text (<mi>\\foo</mi>).
UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")


class MathError(ValueError):
    pass


def _convert(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    try:
        out = convert(latex.strip(), display=display)
    except Exception as exc:  # latex2mathml raises exceptions of several kinds
        raise MathError(f"cannot render ${latex}$ as math: {type(exc).__name__} {exc}") from exc
    if unknown := UNKNOWN_COMMAND.search(out):
        raise MathError(f"cannot render ${latex}$ as math: unknown command {unknown.group(1)}")
    return out


def _math(text: str) -> str:
    text = DISPLAY.sub(lambda m: "\n\n" + _convert(m.group(1), "block") + "\n\n", text)
    return INLINE.sub(lambda m: _convert(m.group(1), "inline"), text)


def render_math(markdown: str) -> str:
    """Markdown with every formula replaced by MathML (code left as written)."""
    parts = CODE.split(markdown)
    return "".join(part if i % 2 else _math(part) for i, part in enumerate(parts))
