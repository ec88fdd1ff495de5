"""Text from outside (a file name, a value, a name read from a backup) as a command prints it."""


def shown(text: object, limit: int | None = None) -> str:
    """`text` on one line and as it is: a backslash, a control or format character (a newline,
    an escape, a bidirectional override), a line or paragraph separator and a byte that is not
    UTF-8 (which Python keeps as a lone surrogate) are written as backslash escapes, as Python
    writes them (`\\n`, `\\x1b`, `\\u202e`, `\\xff` for the byte 0xff); cut at `limit`
    characters (with `…`) when one is given."""
    out = []
    for ch in str(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(repr(ch)[1:-1])
    line = "".join(out)
    return line if limit is None or len(line) <= limit else line[: limit - 1] + "…"
