"""Small helpers shared by the adapters' wire parsers."""

from __future__ import annotations


def json_depth(raw: bytes) -> int:
    """Nesting depth of a JSON text, found without parsing it (a deep one exhausts the parser's stack)."""
    depth = best = 0
    in_str = esc = False
    for b in raw:
        if in_str:
            if esc:
                esc = False
            elif b == 0x5C:  # backslash
                esc = True
            elif b == 0x22:  # quote
                in_str = False
        elif b == 0x22:
            in_str = True
        elif b in (0x5B, 0x7B):  # [ {
            depth += 1
            best = max(best, depth)
        elif b in (0x5D, 0x7D):  # ] }
            depth -= 1
    return best
