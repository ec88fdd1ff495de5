"""Tables and their API schemas.

Three tables carry the lineage: organizations, documents and citations. A document may be
known only because something cites it: it then has no text, and its date is what its citers say.
"""

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from app.citations import models as citation_record
from app.symbols import DocumentKind  # noqa: F401  (the one list of kinds, kept pure there)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    acronym: str = Field(max_length=16, unique=True, index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    observer_symbol: str = Field(max_length=80)
    # Titles of the series as the texts write them, e.g. 联合国同上海合作组织的合作: a paragraph
    # that names one of them puts the documents it cites in the chain.
    series_titles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # field name -> {"file"/"ref", "quote"}: where each fact above comes from.
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Document(SQLModel, table=True):
    # ix_document_session: the first and last sessions of the record (the overall graph's
    # range) without reading every row.
    __table_args__ = (Index("ix_document_org_date", "organization_id", "date"),
                      Index("ix_document_session", "session"))

    id: int | None = Field(default=None, primary_key=True)
    # The stable identifier in URLs: the symbol when there is one, else a generated key.
    key: str = Field(max_length=120, unique=True, index=True)
    symbol: str | None = Field(default=None, max_length=120, unique=True, index=True)
    kind: str = Field(max_length=32)
    session: int | None = Field(default=None)
    date: dt.date | None = Field(default=None)
    # "text" when the document itself (or its facts file) gives the date, "citation" when
    # only the documents citing it do.
    date_source: str | None = Field(default=None, max_length=16)
    title: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    title_en: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    language: str | None = Field(default=None, max_length=8)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str | None = Field(default=None, max_length=300)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    # The resolution a draft (or a letter's annexed draft) became, where the texts establish it.
    became_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # Bumped on every change: an admin form carries the version it was opened at, and a save
    # from a stale form is refused instead of silently overwriting another admin's change.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # What became of a draft as a public source states it (app/public_facts.py): "adopted" or
    # "not_adopted", on a date, by "consensus" or a "recorded" vote with its counts; None where no
    # source says. Each of these facts has its source in a SourceFact row.
    outcome: str | None = Field(default=None, max_length=16)
    outcome_date: dt.date | None = Field(default=None)
    vote: str | None = Field(default=None, max_length=16)
    votes_yes: int | None = Field(default=None)
    votes_no: int | None = Field(default=None)
    votes_abstain: int | None = Field(default=None)
    # Facts about it come from public sources (SourceFact rows): with no text, it is a document
    # known only from those sources, and its session counts as present in its series.
    public_facts: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


# Search results come newest first: walking this index gives a page of matches without sorting
# every one of them (queries.full_text; bench/README.md).
Index(
    "ix_document_recent",
    Document.__table__.c.date.desc(), Document.__table__.c.session.desc(), Document.__table__.c.key,
)

# The admin's list of texts, newest first by id, and its count: an index of the documents with a
# text only, so that neither reads the table (where each row carries its text).
Index(
    "ix_document_with_text", Document.__table__.c.id,
    sqlite_where=Document.__table__.c.text.is_not(None),
    postgresql_where=Document.__table__.c.text.is_not(None),
)


class Citation(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("citing_id", "position", name="uq_citation_position"),
        Index("ix_citation_cited", "cited_id", "citing_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    citing_id: int = Field(foreign_key="document.id", ondelete="CASCADE")
    position: int  # 0-based order of the citation in its document
    cited_symbol: str = Field(max_length=120, index=True)
    cited_id: int | None = Field(default=None, foreign_key="document.id")
    verb: str | None = Field(default=None, max_length=60)
    verb_class: str = Field(default="other", max_length=16)
    cited_date: dt.date | None = Field(default=None)
    raw: str = Field(max_length=200)
    start: int
    end: int
    location: str = Field(max_length=16)
    # The citing paragraph: a row of Paragraph, (citing_id, paragraph_index). Not a copy of its
    # text, which a paragraph listing thousands of symbols would repeat thousands of times.
    paragraph_index: int
    footnote: str | None = Field(default=None, max_length=16)
    called_from: int | None = Field(default=None)
    link: str | None = Field(default=None, max_length=300)
    # The citing paragraph names the citing organization's series (see Organization.series_titles).
    in_series: bool = Field(default=False)


class Paragraph(SQLModel, table=True):
    """A paragraph of a document that its citations quote, kept once per document: a citation
    points to it by (citing_id, paragraph_index). Written by the one writer with the citations.

    `idx` is the extractor's paragraph index; an undocs link line that is a citation of its own
    (no paragraph of the text holds it) is numbered from -1 down.

    `verbatim`: the paragraph is a run of its document's text as it stands (`paragraph_verbatim`).
    Full-text search finds such a paragraph's words in the text itself, so only the others (lines
    the extractor joined, a paragraph typed with a citation) are indexed apart (app/search/fts.py).
    """

    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", primary_key=True)
    idx: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    text: str = Field(sa_column=Column(Text, nullable=False))
    verbatim: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


def paragraph_verbatim(paragraph: str, text: str | None) -> bool:
    """Whether `paragraph` occurs as it is in `text`: every phrase in it is then in the text."""
    return bool(text) and paragraph in text


# A citation row holds the extractor's record (app.citations.Citation) field by field; only the
# cited symbol and date are named for what they are about. Its paragraph is a row of Paragraph.
CITATION_COLUMNS = {name: {"symbol": "cited_symbol", "date": "cited_date"}.get(name, name)
                    for name in citation_record.FIELDS if name != "paragraph"}


def citation_columns(record: citation_record.Citation) -> dict[str, Any]:
    """The row values of an extracted (or typed, or imported) citation."""
    return {column: getattr(record, name) for name, column in CITATION_COLUMNS.items()}


def citation_record_of(row) -> citation_record.Citation:
    """A stored citation with its paragraph (documents.queries.Quoted, or a row of its columns
    and `paragraph`) as the extractor's record."""
    return citation_record.Citation(paragraph=row.paragraph,
                                    **{name: getattr(row, column) for name, column in CITATION_COLUMNS.items()})


class SourceFact(SQLModel, table=True):
    """One fact about a document that a public source states, with that source's URL.

    `fact` names what is stated (organization, kind, session, title_en, outcome, became,
    disagreement); `value` is the value as recorded, `note` says in Lineage's words anything a
    reader should know (where sources disagree, or a source is not the UN's own).
    """

    __table_args__ = (UniqueConstraint("document_id", "position", name="uq_sourcefact_position"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", index=True)
    position: int
    fact: str = Field(max_length=32)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    url: str = Field(max_length=500)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


# --- the admin (issue 4) -------------------------------------------------------------------


class User(SQLModel, table=True):
    """An administrator. Created only by `lineage create-admin`; there is no default account."""

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True, index=True)
    password_hash: str = Field(max_length=200)  # argon2id, with its parameters and salt
    created_at: dt.datetime = Field(default_factory=utcnow)


class LoginAttempt(SQLModel, table=True):
    """A failed login, kept for a while so that every worker counts the same failures."""

    __table_args__ = (Index("ix_loginattempt_username_at", "username", "at"),
                      Index("ix_loginattempt_address_at", "address", "at"))

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80)
    address: str = Field(max_length=64)
    at: dt.datetime = Field(default_factory=utcnow, index=True)


class AdminSession(SQLModel, table=True):
    """A signed-in administrator's session. The cookie carries a random token and this row its
    SHA-256, so that logout and a new password end the session on the server, and a copy of the
    database opens no session."""

    id: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime = Field(index=True)


class AuditEntry(SQLModel, table=True):
    """One admin change: who, when, and the document in full before and after it.

    `before`/`after` are snapshots (`app.documents.audit.snapshot`: the document's fields and its
    citations), so a delete or an edit can be undone from the audit page. No foreign key to the
    document: the history outlives it.
    """

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    username: str = Field(max_length=80)
    action: str = Field(max_length=16)  # add | edit | delete | restore
    document_id: int | None = Field(default=None, index=True)
    document_label: str = Field(max_length=200)
    restored_from: int | None = Field(default=None)  # the audit entry whose snapshot was restored
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AdminField(SQLModel, table=True):
    """A field of a document that an admin set (app.documents.history.PROTECTED): a command
    (ingest, import, sync) does not overwrite it. Written by the admin's save, in its transaction.

    When a command brought another value, it is kept here, not applied (`offered`, with `kept`,
    the admin's value it met): an open conflict, listed at /admin/conflicts until an admin accepts
    the command's value or keeps theirs. Values are in the audit snapshots' form.
    """

    __tablename__ = "admin_field"
    __table_args__ = (Index("ix_admin_field_offered", "offered_at"),)

    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE", primary_key=True)
    field: str = Field(primary_key=True, max_length=16)
    set_by: str = Field(max_length=80)
    set_at: dt.datetime = Field(default_factory=utcnow)
    offered_by: str | None = Field(default=None, max_length=80)  # None: no open conflict
    offered_at: dt.datetime | None = Field(default=None)
    offered: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    kept: Any = Field(default=None, sa_column=Column(JSON, nullable=True))


# --- API schemas -------------------------------------------------------------------------


class OrganizationPublic(SQLModel):
    acronym: str
    name_zh: str
    name_en: str
    observer_symbol: str
    url: str
    chain_length: int
    first: str | None
    latest: str | None


class CitePublic(SQLModel):
    symbol: str
    label: str
    url: str
    verb: str | None
    verb_class: str
    date: dt.date | None
    # The words around the citation (app/citations/excerpt.py); the whole paragraph is in the
    # document's `paragraphs`, at `paragraph_index`.
    paragraph: str
    location: str
    found: bool
    paragraph_index: int


class CitedByPublic(SQLModel):
    symbol: str | None
    label: str
    url: str
    verb: str | None
    verb_class: str
    # The words around the citation; the whole paragraph is in the citing document's `paragraphs`.
    paragraph: str
    paragraph_index: int


class ParagraphPublic(SQLModel):
    index: int
    text: str


class OutcomePublic(SQLModel):
    """What became of a draft, as a public source states it."""

    adopted: bool
    date: dt.date | None
    vote: str | None  # consensus | recorded
    yes: int | None
    no: int | None
    abstain: int | None
    resolution: str | None  # the symbol it became, where a source states it; else None


class SourceFactPublic(SQLModel):
    fact: str
    value: Any
    url: str
    note: str | None


class ChainLinkPublic(SQLModel):
    symbol: str | None
    label: str
    kind: str
    date: dt.date | None
    session: int | None
    url: str
    has_text: bool
    became: str | None
    cites: list[str]
    recalls: list[str]
    leaves_out: list[str]
    from_source: bool = False  # known only from public sources (no text in Lineage)
    outcome: OutcomePublic | None = None


class ChainPublic(SQLModel):
    organization: OrganizationPublic
    chain: list[ChainLinkPublic]


class DocumentPublic(SQLModel):
    symbol: str | None
    key: str
    label: str
    kind: str
    date: dt.date | None
    session: int | None
    title: str | None
    has_text: bool
    url: str
    undocs_url: str | None
    cites: list[CitePublic]
    # A page of what cites it, oldest citer first (`cited_by_page`, `cited_by_per_page` of the
    # request); `cited_by_total` counts every citation of it.
    cited_by: list[CitedByPublic]
    # The paragraphs `cites` are in, each once.
    paragraphs: list[ParagraphPublic]
    outcome: OutcomePublic | None = None
    source_facts: list[SourceFactPublic] = []
    cited_by_total: int = 0
    cited_by_page: int = 1
    cited_by_per_page: int = 100


class SymbolLookup(SQLModel):
    query: str
    symbol: str | None
    found: bool
    url: str | None
    error: str | None


class SearchHitPublic(SQLModel):
    symbol: str | None
    label: str
    url: str
    snippet: str
    where: str


class SearchPublic(SQLModel):
    query: str
    symbol: str | None
    document_url: str | None
    page: int
    per_page: int
    total: int
    results: list[SearchHitPublic]


class ExtractIn(SQLModel):
    text: str
    lang: str | None = None


class ExtractedPublic(SQLModel):
    symbol: str
    verb: str | None
    date: dt.date | None
    # The words around the citation, at most EXCERPT_WIDTH characters either side and never past
    # its neighbours (app/citations/excerpt.py); the whole paragraph is in `paragraphs`.
    paragraph: str
    start: int
    end: int
    raw: str
    verb_class: str
    location: str
    paragraph_index: int
    footnote: str | None
    called_from: int | None
    link: str | None
    found: bool
    url: str | None
    label: str | None


class ExtractedParagraphPublic(SQLModel):
    index: int
    text: str
    location: str


class ExtractPublic(SQLModel):
    lang: str
    # One page of the text's citations, in text order (`page`, `per_page`).
    citations: list[ExtractedPublic]
    # The distinct symbols Lineage has no document for, in text order: the first 500 of the whole
    # text (`unknown_total` counts them all; each citation says `found` too).
    unknown: list[str]
    # Each paragraph that holds a citation of the page, once, by its `paragraph_index`.
    paragraphs: list[ExtractedParagraphPublic]
    citations_total: int  # in the whole text
    unknown_total: int
    page: int
    per_page: int
    pages: int
    # The page to ask for next, with the same text (`?page=`); null on the last page.
    next_page: int | None


class ErrorPublic(SQLModel):
    error: str


# --- stored graph layouts (app/graph/layouts.py) -------------------------------------------


class GraphLayout(SQLModel, table=True):
    """A timeline graph as laid out once: keyed by the digest of the Graphviz source it was drawn
    from, so a graph whose documents change is drawn anew and an unchanged one never is."""

    __tablename__ = "graph_layout"
    __table_args__ = (Index("ix_graph_layout_scope", "scope", "lang"),)

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True, index=True)
    scope: str = Field(max_length=200)  # org:SCO, all, all:60-67:1 (sessions, page of lanes)
    lang: str = Field(max_length=8)
    svg: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # None: it failed
    routing: str = Field(max_length=16)  # spline | polyline | line | failed
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    seconds: float = 0.0
    created_at: dt.datetime = Field(default_factory=utcnow)
    # The data version (`DataVersion`) the drawing was last found to show, with the layout code's
    # version: while it is current, the page serves the drawing without reading what it shows.
    stamp: str | None = Field(default=None, max_length=80)
    # What the page says beside the drawing: counts of nodes and edges, what was left out, the
    # summary's sessions and lanes (app.graph.drawings.Shown).
    facts: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class DataVersion(SQLModel, table=True):
    """One row: a number that every committed change to organizations, documents or citations
    advances (database triggers, app/data_version.py), whoever writes."""

    __tablename__ = "data_version"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = 0


# --- the read model: what the pages derive from citations, kept by the writer ---------------
# Every row below is computed from documents, citations and organizations by
# app/chains/readmodel.py, in the transaction that changes them; `lineage rebuild` recomputes
# them all. No foreign keys: the writer deletes a document and rewrites its derived rows in the
# same transaction, in whichever order suits it.


class ChainMember(SQLModel, table=True):
    """One document's place in one organization's chain, with what that link recalls of the
    chain and which earlier General Assembly resolutions of it it leaves out (ids of members)."""

    __tablename__ = "chain_member"
    __table_args__ = (
        Index("ix_chain_member_position", "organization_id", "position", unique=True),
        Index("ix_chain_member_document", "document_id"),
    )

    organization_id: int = Field(primary_key=True)
    document_id: int = Field(primary_key=True)
    position: int  # 0-based, in chain order
    has_text: bool
    recalls: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    leaves_out: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ChainSummary(SQLModel, table=True):
    """An organization's chain in one row: its length, first and latest member, anomalies."""

    __tablename__ = "chain_summary"

    organization_id: int = Field(primary_key=True)
    length: int
    first_id: int | None = None
    latest_id: int | None = None
    anomalies: int


class ChainAnomaly(SQLModel, table=True):
    """One anomaly of one chain (app/chains/anomalies.py says what each rule flags)."""

    __tablename__ = "chain_anomaly"
    __table_args__ = (Index("ix_chain_anomaly_order", "organization_id", "seq", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int
    seq: int  # chain order, then rule order
    rule: str = Field(max_length=24)
    document_id: int  # the link the flag stands on
    other_id: int | None = None  # the predecessor, or the cited document
    symbol: str | None = Field(default=None, max_length=120)
    sessions: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    cadence: int | None = None
    cited_date: dt.date | None = None
    citing_date: dt.date | None = None


class ChainHtml(SQLModel, table=True):
    """An organization's chain as the page shows it (`templates/_chain.html`), rendered by the
    writer in one language (app/web/chain_html.py). `version` names the code, templates and
    catalogs it was rendered with: a page whose version differs renders the chain from rows."""

    __tablename__ = "chain_html"

    organization_id: int = Field(primary_key=True)
    lang: str = Field(primary_key=True, max_length=8)
    version: str = Field(max_length=64)
    html: str = Field(sa_column=Column(Text, nullable=False))


class CitedCount(SQLModel, table=True):
    """How many documents cite a document, and in how many citations."""

    __tablename__ = "cited_count"

    document_id: int = Field(primary_key=True)
    citers: int
    citations: int


class CitedByOrganization(SQLModel, table=True):
    """An organization whose own texts (its documents, or the resolution granting it observer
    status) cite a document: what the timeline graph needs to place a document no chain holds
    and to mark one that several organizations cite."""

    __tablename__ = "cited_by_organization"
    __table_args__ = (Index("ix_cited_by_organization_organization", "organization_id"),)

    document_id: int = Field(primary_key=True)
    organization_id: int = Field(primary_key=True)


class UnresolvedSymbol(SQLModel, table=True):
    """A cited symbol Lineage has no text for, with how many documents cite it and how often."""

    __tablename__ = "unresolved_symbol"
    __table_args__ = (Index("ix_unresolved_document", "document_id"),)

    symbol: str = Field(primary_key=True, max_length=120)
    document_id: int | None = None  # the text-less document the citations point to, if any
    citers: int
    mentions: int


class UnresolvedCiter(SQLModel, table=True):
    """A document citing an unresolved symbol, with where it stands in time (its date, else its
    session's opening) and its key: a symbol's citers are listed in that order."""

    __tablename__ = "unresolved_citer"
    __table_args__ = (Index("ix_unresolved_citer_order", "symbol", "sort_date", "citing_key"),
                      Index("ix_unresolved_citer_citing", "citing_id"))

    symbol: str = Field(primary_key=True, max_length=120)
    citing_id: int = Field(primary_key=True)
    sort_date: dt.date
    citing_key: str = Field(max_length=120)


# The /unresolved page lists the most cited first: a page is read off this index.
Index(
    "ix_unresolved_rank",
    UnresolvedSymbol.__table__.c.citers.desc(), UnresolvedSymbol.__table__.c.mentions.desc(),
    UnresolvedSymbol.__table__.c.symbol,
)
# The most cited documents, for whoever lists them.
Index("ix_cited_count_rank", CitedCount.__table__.c.citers.desc(), CitedCount.__table__.c.document_id)
# A document's citation-given date is the one its citers state most often: counted off this
# index instead of reading every citing row.
Index("ix_citation_cited_date", Citation.__table__.c.cited_id, Citation.__table__.c.cited_date)
