"""How documents are named to a person when they have no symbol, in both UI languages."""

KIND_LABELS = {
    "zh": {
        "ga_resolution": "大会决议",
        "sc_resolution": "安理会决议",
        "draft_resolution": "决议草案",
        "letter": "信函",
        "presidential_statement": "安理会主席声明",
        "report": "报告",
        "other": "其他文件",
    },
    "en": {
        "ga_resolution": "GA resolution",
        "sc_resolution": "SC resolution",
        "draft_resolution": "Draft resolution",
        "letter": "Letter",
        "presidential_statement": "Presidential statement",
        "report": "Report",
        "other": "Other document",
    },
}


def kind_label(kind: str, lang: str = "zh") -> str:
    return KIND_LABELS.get(lang, KIND_LABELS["zh"]).get(kind, kind)


def short_symbol(symbol: str) -> str:
    """59/48 for A/RES/59/48, the way the series' texts write it; other symbols as they are."""
    return symbol[len("A/RES/"):] if symbol.startswith("A/RES/") else symbol


def document_label(doc, lang: str = "zh") -> str:
    """A symbol when the document has one; otherwise an honest description, never a made-up symbol."""
    if doc.symbol:
        return doc.symbol
    kind = kind_label(doc.kind, lang)
    annexed = (doc.provenance or {}).get("annexed_draft")
    if lang == "zh":
        parts = []
        if doc.date:
            parts.append(f"{doc.date.year}年{doc.date.month}月{doc.date.day}日")
        elif doc.session:
            parts.append(f"第{doc.session}届会议")
        parts.append(kind)
        if annexed:
            parts.append("（附决议草案）")
        if not doc.date and not annexed:
            parts.append("（文号不详）")
        return "".join(parts)
    parts = [kind]
    if doc.date:
        parts.append(f"of {doc.date.isoformat()}")
    elif doc.session:
        parts.append(f"(session {doc.session})")
    if annexed:
        parts.append("with annexed draft")
    if not doc.date and not annexed:
        parts.append("— symbol unknown")
    return " ".join(parts)


def document_title(doc, lang: str = "zh") -> str | None:
    """The document's title in `lang` where known, else in the other language, else None."""
    if lang == "en":
        return doc.title_en or doc.title
    return doc.title or doc.title_en
