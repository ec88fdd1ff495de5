"""Pure citation extractor for UN documents (contract: docs/extraction.md).

Pipeline stages, one module each (after freelawproject/eyecite):

- `clean`: fullwidth folding (length-preserving), page furniture, link lines, footnote blocks,
  reassembly of logical paragraphs with an offset map back to the original text;
- `find`: symbols (lists sharing one `第…号决议` or one `resolutions … and …`), dates, footnote calls;
- `verbs`: the verb lexicons (zh, zh-Hant, en; fr/es/ru/ar) and the governing-verb rule;
- `pipeline`: ties them together into `Citation`s; `resolve`: lookups passed in by the caller.

This package imports nothing from the app but `app.symbols` and `app.budget` (no database, no web
framework, no clock of its own: a caller's `Deadline` is checked between steps).
"""

from .models import Citation
from .pipeline import detect_language, extract, paragraphs
from .resolve import resolve

__all__ = ["Citation", "detect_language", "extract", "paragraphs", "resolve"]
