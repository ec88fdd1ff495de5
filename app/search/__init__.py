"""Search: full text over the texts and cited paragraphs, and close matches of a symbol."""
