"""Documents: the one writer (store), the admin form and audit log, the reads of a document,
its labels, the paragraph diff and the extraction of a pasted text."""
