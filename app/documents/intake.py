"""Files in: `lineage ingest` and the admin form's upload, through the one writer.

`prepare` is pure: bytes and a file name in, the text (`files`), what the page states
(`metadata`) and a `DocumentIn` out, or `files.Refused`. `ingest_paths` stores prepared files
through `ingest_document`, a savepoint per file and a transaction per batch, so a file is either
stored whole or not at all, and reports each file as added, updated, unchanged, refused or
skipped. `discover` never leaves a folder through a link, and refuses what is not a regular file;
a file's key comes from its name (`file_key`), and two names never share one.

An organization is found by the series title the page names (`联合国同…的合作`): an organization
whose name, or one of whose series titles, is the one written. One that Lineage does not know is
created under its name as written with a stable key (`ORG-` and eight hex digits of the name), until
an admin gives it an acronym; its observer-status resolution is the one a citation of the text
says gave the organization observer status (`…第59/48号决议…给予上海合作组织大会观察员地位`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from app.citations import Citation as Found
from app.citations import extract
from app.chains import readmodel
from app.db import begin_batch
from app.documents import files
from app.documents.queries import quoted
from app.documents.metadata import Metadata, read
from app.chains.membership import in_series
from app.documents.history import Conflict
from app.documents.store import DocumentIn, ingest_document
from app.models import Citation, Document, Organization

# Who the files' changes are by, in the audit log.
ACTOR = "lineage ingest"

_WS = re.compile(r"\s+")
_OBSERVER = re.compile(r"观察员地位|observer\s+status", re.I)


def _squash(s: str) -> str:
    return _WS.sub("", s)


def printable(name: str) -> str:
    """A path as it can be shown and stored: bytes of a file name that are not UTF-8 (which
    Python keeps as lone surrogates) become U+FFFD."""
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = name.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def file_key(filename: str) -> str:
    """The key of a file's document: from the file's name, so the same file again (or a
    corrected one of the same name) is the same document, and two names are never one key.

    The name's stem (the name without its last suffix: `draft.pdf` and `draft.docx` are one
    document in two formats) gives it. A stem that is already a slug (lower-case ASCII letters and
    digits in words joined by single hyphens, at most 100 characters) is the key as it is:
    `file-<stem>`. Any other stem loses something in its slug (capitals, spaces, CJK, punctuation,
    bytes that are not UTF-8), so the key adds 16 hex digits of the SHA-256 of the stem's exact
    bytes after a double hyphen, which no slug has: `file-<slug, at most 80>--<hash>`, or
    `file--<hash>` when nothing is left of the slug (`Letter 1.txt` is `file-letter-1--…`,
    `决议草案甲.txt` `file--…`)."""
    stem = Path(filename).stem
    if len(stem) <= 100 and _SLUG.fullmatch(stem):
        return f"file-{stem}"
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:80].rstrip("-")
    digest = hashlib.sha256(stem.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"file-{slug}--{digest}" if slug else f"file--{digest}"


def _legacy_file_key(filename: str) -> str:
    """The key a file's document was given before keys were made unique (a slug alone, which
    `决议草案甲` and `决议草案乙` shared): still the key of the documents stored then."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(printable(filename)).stem.lower()).strip("-")[:100] or "file"
    return f"file-{stem}"


def organization_key(name: str) -> str:
    """The stable key an organization known only by its name is filed under."""
    return "ORG-" + hashlib.sha256(_squash(name).encode("utf-8")).hexdigest()[:8].upper()


@dataclass
class Prepared:
    filename: str
    file: files.FileText
    metadata: Metadata
    data: DocumentIn
    citations: list[Found]
    sha256: str
    organization: dict[str, Any] | None = None  # name, lang, series_title, observer_symbol, quotes


def prepare(data: bytes, filename: str,
            read_file: Callable[[bytes, str], files.FileText] = files.read_bytes) -> Prepared:
    """Read a file (with `read_file`: in this process by default) and what its page states;
    `files.Refused` when it cannot be read."""
    ft = read_file(data, filename)
    md = read(ft.text)
    cites = extract(ft.text)
    name = printable(Path(filename).name)
    prov: dict[str, Any] = {
        f: {"file": name, "quote": getattr(md, f).evidence[0].quote}
        for f in md.FIELDS if getattr(md, f) is not None
    }
    sha = hashlib.sha256(data).hexdigest()
    prov["file"] = {"name": name, "sha256": sha, "format": ft.format, "pages": ft.pages}
    org = None
    if md.organization is not None:
        org = named_organization(md, cites)
    doc = DocumentIn(
        key=file_key(Path(filename).name),
        symbol=md.value("symbol"),
        kind=md.value("kind") or "other",
        text=ft.text,
        session=md.value("session"),
        date=md.value("date"),
        title=md.value("title"),
        language=md.value("language"),
        source=name[:300],
        provenance=prov,
    )
    return Prepared(name, ft, md, doc, cites, sha, org)


def named_organization(md: Metadata, cites: Sequence[Found]) -> dict[str, Any]:
    """The organization the page's series title names (`md.organization`), with the words that
    name it and the resolution a citation says gave it observer status (`…第59/48号决议…给予
    上海合作组织大会观察员地位`), if one does."""
    o = md.organization.value
    observer = None
    for c in cites:
        para = _squash(c.paragraph)
        if _OBSERVER.search(para) and _squash(o["name"]) in para:
            observer = {"symbol": c.symbol, "quote": c.paragraph}
            break
    return {**o, "quote": md.organization.evidence[0].quote, "observer": observer}


def find_organization(session: Session, org: dict[str, Any]) -> Organization | None:
    name, title = _squash(org["name"]), _squash(org["series_title"])
    for o in session.exec(select(Organization)).all():
        if name in (_squash(o.name_zh), _squash(o.name_en)) or title in {_squash(t) for t in o.series_titles}:
            return o
    return None


def organization_for(session: Session, org: dict[str, Any], filename: str) -> tuple[Organization, bool]:
    """The organization a file's series title names: found, or created under its name; and
    whether it was created or changed."""
    found = find_organization(session, org)
    created = found is None
    if found is None:
        zh = org.get("lang") == "zh"
        found = Organization(
            acronym=organization_key(org["name"]),
            name_zh=org["name"][:200] if zh else "",
            name_en=org["name"][:200] if not zh else "",
            observer_symbol="",
            series_titles=[],
            provenance={
                ("name_zh" if zh else "name_en"): {"file": filename, "quote": org["quote"]},
                "acronym": {"pending": True, "note": "known only by its name as written until an admin gives it an acronym"},
            },
        )
        session.add(found)
    changed = False
    titles = list(found.series_titles or [])
    if _squash(org["series_title"]) not in {_squash(t) for t in titles}:
        titles.append(org["series_title"])
        found.series_titles = titles
        changed = True
    if not found.observer_symbol and org.get("observer"):
        found.observer_symbol = org["observer"]["symbol"]
        found.provenance = {**found.provenance,
                            "observer_symbol": {"file": filename, "quote": org["observer"]["quote"]}}
        changed = True
    session.flush()
    if created or changed:
        readmodel.touch(session, organizations=[found.id])
    if changed and not created:
        _refresh_in_series(session, found)
    return found, created or changed


def _refresh_in_series(session: Session, org: Organization) -> None:
    """A new series title may put citations the organization's texts already made in its chain."""
    own = select(Document.id).where(Document.organization_id == org.id)
    for c in quoted(session, Citation.citing_id.in_(own)):
        flag = in_series(c.paragraph, org.series_titles)
        if c.in_series != flag:
            c.citation.in_series = flag
            readmodel.touch(session, [c.citing_id, c.cited_id], organizations=[org.id])
    session.flush()


def store(session: Session, prepared: Prepared, data: DocumentIn | None = None, *, actor: str | None = None,
          conflicts: list[Conflict] | None = None) -> tuple[str, Document]:
    """Store a prepared file (or the person's corrected `data`) in the open transaction, as
    `actor`'s change; returns ("added" | "updated" | "unchanged", the document), and adds to
    `conflicts` the values it brought for fields an admin set, not applied."""
    data = data or prepared.data
    org_changed = False
    if prepared.organization is not None and data.organization is None:
        org, org_changed = organization_for(session, prepared.organization, prepared.filename)
        data.organization = org.acronym
    result = ingest_document(session, data, citations=prepared.citations, commit=False, actor=actor)
    if conflicts is not None:
        conflicts.extend(result.conflicts)
    if result.created:
        return "added", result.document
    return ("updated" if result.changed or org_changed else "unchanged"), result.document


def _stored_file_name(session: Session, key: str) -> tuple[bool, str | None]:
    """Whether a document has this key, and the name of the file it was stored from (None: it
    came from no file, or said not which)."""
    row = session.exec(select(Document.provenance).where(Document.key == key)).first()
    if row is None:
        return False, None
    name = ((row or {}).get("file") or {}).get("name")
    return True, name if isinstance(name, str) else None


def key_for(session: Session, prepared: Prepared) -> str:
    """The key the file's document is stored under: `file_key` of its name; or, for a document
    stored from a file of this very name before keys were made unique, the key it has. `Refused`
    when the key is held by the document of a file of another name (stored under the old rule,
    where `Letter 1.txt` took `file-letter-1`): one file never overwrites another's text."""
    key = prepared.data.key
    exists, name = _stored_file_name(session, key)
    stem = Path(printable(prepared.filename)).stem
    if exists:
        if name is not None and Path(name).stem != stem:
            raise files.Refused(f"its key {key} is held by the document of another file ({name}, "
                                "stored before keys were unique): rename this file to store it")
        return key
    legacy = _legacy_file_key(prepared.filename)
    if legacy != key:
        exists, name = _stored_file_name(session, legacy)
        if exists and name is not None and Path(name).stem == stem:
            return legacy
    return key


def already_stored(session: Session, prepared: Prepared) -> Document | None:
    """The document these very bytes were stored as, under this file name or another: the same
    file again is unchanged, never a second document (a file without a symbol is keyed by its
    name) nor an update that only renames its source."""
    if prepared.data.symbol:
        docs = session.exec(select(Document).where(Document.symbol == prepared.data.symbol)).all()
    else:
        docs = session.exec(select(Document).where(Document.symbol.is_(None),
                                                   Document.text == prepared.data.text)).all()
    return next((d for d in docs if (d.provenance or {}).get("file", {}).get("sha256") == prepared.sha256), None)


def name_organization(session: Session, key: str, acronym: str, name_en: str | None = None) -> Organization:
    """Give an organization filed under its name (or any organization) its acronym; its chain's
    address follows. ValueError when there is no such organization or the acronym is taken."""
    acronym = acronym.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9\-]{0,15}", acronym):
        raise ValueError(f"not an acronym: {acronym!r} (letters, digits and '-', at most 16)")
    org = session.exec(select(Organization).where(Organization.acronym == key)).first()
    if org is None:
        raise ValueError(f"no organization {key!r}")
    other = session.exec(select(Organization).where(Organization.acronym == acronym)).first()
    if other is not None and other.id != org.id:
        raise ValueError(f"the acronym {acronym!r} is already {other.name_zh or other.name_en}'s")
    org.acronym = acronym
    if name_en:
        org.name_en = name_en.strip()[:200]
    prov = {k: v for k, v in org.provenance.items() if k != "acronym"}
    org.provenance = {**prov, "acronym": {"ref": "given by an admin"}}
    session.commit()
    return org


@dataclass(frozen=True)
class ToRead:
    """A file to read: `path` as the person named it (the folder given and the way down), `real`
    its resolved path, opened without following a link, and the (device, inode) it must still be."""

    path: Path
    real: str
    identity: tuple[int, int]


_NOT_A_FILE_TYPE = "not a PDF, Word (.docx) or text file: {}"


def _resolve(path: str) -> tuple[str | None, str | None]:
    """A path's resolved real path, or why it has none (a broken link, a loop)."""
    try:
        return os.path.realpath(path, strict=True), None
    except FileNotFoundError:
        return None, "a broken link (what it points to does not exist)"
    except (OSError, RuntimeError) as e:
        if isinstance(e, RuntimeError) or e.errno == errno.ELOOP:
            return None, "a link that loops"
        return None, f"cannot read the link: {e.strerror or e}"


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def discover(paths: Iterable[str | Path]) -> tuple[list[ToRead], list[tuple[str, str, str]]]:
    """The files to ingest, and the others, each with why it is not read, before anything is read.

    A file named on the command line is read if it is a regular .pdf/.docx/.txt file; a link
    named there is followed (the person asked for what it points to). A folder is walked without
    following a link out of it: a link under it to a file or folder outside it (`ln -s
    /etc/passwd passwd.txt`, `../..`, a linked folder) is refused, and so are broken links, named
    pipes, devices and sockets, and folders that cannot be read. A link to a file inside it is
    that file, read once under its own name; a regular file of another type is skipped. Returns
    the files in name order (within each path given; a file reached twice is read the first time)
    and (path, "refused" | "skipped", reason) for the others."""
    out: list[ToRead] = []
    others: list[tuple[str, str, str]] = []
    seen: dict[tuple[int, int], str] = {}  # every regular file met: its first name

    def refuse(path: str, reason: str) -> None:
        others.append((path, "refused", reason))

    def consider(path: str, real: str, st: os.stat_result, name: str) -> None:
        """A regular file met under `path` (named `name`, whose suffix says its type)."""
        ident = (st.st_dev, st.st_ino)
        if ident in seen:
            others.append((path, "skipped", f"the same file as {seen[ident]}, read once"))
            return
        seen[ident] = path
        suffix = Path(name).suffix.lower()
        if suffix not in files.SUFFIXES:
            others.append((path, "skipped", _NOT_A_FILE_TYPE.format(suffix or "no suffix")))
        else:
            out.append(ToRead(Path(path), real, ident))

    for raw in paths:
        given = os.fspath(raw)
        try:
            st = os.stat(given)
        except FileNotFoundError:
            refuse(given, "a broken link (what it points to does not exist)" if os.path.islink(given)
                   else "no such file or folder")
            continue
        except OSError as e:
            refuse(given, f"cannot read it: {e.strerror or e}")
            continue
        if not stat.S_ISDIR(st.st_mode):
            real, why = _resolve(given)
            if real is None:
                refuse(given, why)
            elif not stat.S_ISREG(st.st_mode):
                refuse(given, f"not a regular file: {files.kind_of(st.st_mode)}")
            elif Path(given).suffix.lower() not in files.SUFFIXES:
                refuse(given, _NOT_A_FILE_TYPE.format(Path(given).suffix or "no suffix"))
            else:
                consider(given, real, st, Path(given).name)
            continue
        root, why = _resolve(given)
        if root is None:
            refuse(given, why)
            continue
        entries: list[str] = []
        links: list[str] = []

        def unreadable(e: OSError, given=given) -> None:
            refuse(e.filename or given, f"cannot read the folder: {e.strerror or e}")

        for top, dirs, names in os.walk(given, onerror=unreadable):
            for d in dirs:  # a folder reached through a link is not walked: said so below
                if os.path.islink(os.path.join(top, d)):
                    links.append(os.path.join(top, d))
            for n in names:
                entries.append(os.path.join(top, n))
        for path in sorted(entries, key=Path):
            try:
                st = os.lstat(path)
            except OSError as e:
                refuse(path, f"cannot read it: {e.strerror or e}")
                continue
            if stat.S_ISLNK(st.st_mode):
                links.append(path)
            elif stat.S_ISREG(st.st_mode):
                consider(path, os.path.join(root, os.path.relpath(path, given)), st, os.path.basename(path))
            else:
                refuse(path, f"not a regular file: {files.kind_of(st.st_mode)}")
        # links after the files: a link to a file inside the folder is that file, already met
        for path in sorted(links, key=Path):
            real, why = _resolve(path)
            if real is None:
                refuse(path, why)
                continue
            if not _inside(real, root):
                refuse(path, "a link out of the folder: not followed")
                continue
            try:
                st = os.stat(real)
            except OSError as e:
                refuse(path, f"cannot read it: {e.strerror or e}")
                continue
            if stat.S_ISDIR(st.st_mode):
                others.append((path, "skipped", "a link to a folder inside the folder: its files are read there"))
            elif stat.S_ISREG(st.st_mode):
                consider(path, real, st, os.path.basename(real))
            else:
                refuse(path, f"a link to what is not a regular file: {files.kind_of(st.st_mode)}")
    return out, others


@dataclass
class Report:
    """Each path met, as named (not escaped: `shown` is for printing it), with its status:
    added, updated, unchanged (detail: the document's key), refused (detail: why; the command
    exits 1) or skipped (detail: why; a file of another type in a folder, or a second name of a
    file read once)."""

    results: list[tuple[str, str, str]] = field(default_factory=list)  # (path, status, detail)
    # (path, a value its file brought for a field an admin set, not applied: `Conflict.line`)
    conflicts: list[tuple[str, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for _, s, _ in self.results if s == status)

    @property
    def refused(self) -> int:
        return self.count("refused")

    @property
    def skipped(self) -> int:
        return self.count("skipped")


def ingest_paths(
    session: Session, paths: Sequence[str | Path], *, batch_size: int = 50,
    progress: Callable[[int], None] | None = None, on_result: Callable[[str, str, str], None] | None = None,
    on_conflict: Callable[[str, str], None] | None = None,
) -> Report:
    """Ingest files and folders; idempotent; a transaction per batch of files, a savepoint per
    file, so a refused file leaves nothing behind and the others still go in. Each file is read
    in a process of its own under memory, CPU and time limits (`files.IsolatedReader`), as an
    upload is: a hostile file cannot hang or balloon the command."""
    with files.IsolatedReader() as reader:
        return _ingest_paths(session, paths, reader.read, batch_size, progress, on_result, on_conflict)


def _ingest_paths(session, paths, read_file, batch_size, progress, on_result, on_conflict=None) -> Report:
    report = Report()

    def note(path: str, status: str, detail: str) -> None:
        path = str(path)
        report.results.append((path, status, detail))
        if on_result:
            on_result(path, status, detail)

    found, others = discover(paths)
    for path, status, reason in others:
        note(path, status, reason)
    pending = 0
    this_run: dict[str, tuple[Path, str, str]] = {}  # document key -> file of this run, its text's sha256, key stored
    for item in found:
        path = item.path
        try:
            prepared = prepare(files.load(item.real, identity=item.identity), path.name, read_file)
            key = prepared.data.symbol or prepared.data.key
            text_sha = hashlib.sha256(prepared.file.text.encode("utf-8")).hexdigest()
            if key in this_run and this_run[key][1] != text_sha:
                # two texts of one document (the same symbol, or the same file name in two
                # folders): storing both would keep only the last
                raise files.Refused(f"another text of the same document ({key}) as "
                                    f"{this_run[key][0]}: only one of them can be stored")
            if key in this_run:  # the same text again, from another file of this run
                note(str(path), "unchanged", this_run[key][2])
                continue
            if pending == 0:
                begin_batch(session)
            conflicts: list[Conflict] = []
            with session.begin_nested():
                same = already_stored(session, prepared)
                if same is None:
                    prepared.data.key = key_for(session, prepared)
                status, doc = ("unchanged", same) if same is not None else \
                    store(session, prepared, actor=ACTOR, conflicts=conflicts)
            this_run[key] = (path, text_sha, doc.key)
            note(str(path), status, doc.key)
            for c in conflicts:  # after the file's own line
                report.conflicts.append((str(path), c.line()))
                if on_conflict:
                    on_conflict(str(path), c.line())
            pending += status != "unchanged"
        except files.Refused as e:
            note(str(path), "refused", str(e))
        except SQLAlchemyError as e:  # the database's, not the file's: said so
            note(str(path), "refused", f"not stored: database error ({str(e).splitlines()[0][:200]})")
        except (ValueError, OSError) as e:
            note(str(path), "refused", str(e).splitlines()[0] if str(e) else type(e).__name__)
        except Exception as e:  # a library tripped by a damaged file: one line, never a traceback
            note(str(path), "refused", f"unreadable file ({type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''})")
        finally:
            if progress:
                progress(1)
        if pending >= batch_size:
            session.commit()
            pending = 0
    session.commit()
    return report
