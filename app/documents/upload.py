"""The admin form's file: read an upload, and fill the form with what the page states.

`read_upload` reads the uploaded file in a process of its own (`files.isolated_command`: memory,
CPU and time limits, killed if the worker dies), awaited on the event loop, so a hostile PDF
holds neither a thread nor a database connection. The file's name only chooses the format: it
is never on the reader's command line. `fill` turns what a text's page states (`metadata.read`) into form values,
each with the words that state it; an uploaded file's facts replace what the form held, a pasted
text's only fill the fields still empty.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlmodel import Session

from app.citations import extract
from app.documents import files
from app.documents.intake import find_organization, named_organization, organization_key
from app.documents.metadata import read

#: Largest upload the form reads (request bodies are capped at 8 MB before any handler runs).
MAX_UPLOAD_BYTES = 5_000_000
#: Files a worker reads at once: each reader may take a gigabyte and a core, so a burst of
#: uploads beyond this is told to try again rather than start a process each.
MAX_READERS = 2
_readers = 0
_readers_lock = threading.Lock()
FIELDS = ("symbol", "kind", "organization", "session", "date", "title")


@dataclass
class Upload:
    filename: str
    text: str | None = None
    error: str | None = None


async def read_upload(value: Any) -> Upload | None:
    """The form's `file` field read into text, or the reason it cannot be; None without a file."""
    filename = getattr(value, "filename", None)
    if not filename or not hasattr(value, "read"):
        return None
    data = await value.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return Upload(filename, error=f"file too large: more than {MAX_UPLOAD_BYTES / 1e6:g} MB")
    if not data:
        return Upload(filename, error="empty file")
    try:
        fmt = files.format_of(filename)  # the name goes no further: the reader is handed bytes
    except files.Refused as e:
        return Upload(filename, error=str(e))
    global _readers
    with _readers_lock:
        if _readers >= MAX_READERS:
            return Upload(filename, error="other files are being read: send it again in a moment")
        _readers += 1
    try:
        with anyio.fail_after(files.ISOLATED_WALL_SECONDS):
            done = await anyio.run_process(files.isolated_command(fmt), input=data, check=False,
                                           cwd=files.READER_CWD)
        return Upload(filename, text=files.result_of(done.returncode, done.stdout).text)
    except files.Refused as e:
        return Upload(filename, error=str(e))
    except TimeoutError:
        return Upload(filename, error=f"reading the file took more than {files.ISOLATED_WALL_SECONDS} s")
    finally:
        with _readers_lock:
            _readers -= 1


@dataclass
class Filled:
    values: dict[str, str] = field(default_factory=dict)  # form field -> value the page states
    evidence: dict[str, str] = field(default_factory=dict)  # form field -> the words stating it
    new_organization: dict[str, Any] | None = None  # the organization named, unknown to Lineage
    filled: list[str] = field(default_factory=list)  # fields this call filled


def _quote(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip()
    return s if len(s) <= 120 else s[:117] + "…"


def stated(session: Session, text: str, filename: str = "admin") -> Filled:
    """What the text's page states, as form values with their evidence."""
    out = Filled()
    if not text.strip():
        return out
    md = read(text)
    for name in ("symbol", "kind", "session", "date", "title"):
        f = getattr(md, name)
        if f is None:
            continue
        v = f.value
        out.values[name] = v.isoformat() if isinstance(v, dt.date) else str(v)
        out.evidence[name] = _quote(f.evidence[0].quote)
    if md.organization is not None:
        org = named_organization(md, ())
        known = find_organization(session, org)
        if known is not None:
            out.values["organization"] = known.acronym
        else:
            org = named_organization(md, extract(text))  # its observer status, for the save
            org["key"] = organization_key(org["name"])
            org["filename"] = filename
            out.new_organization = org
            out.values["organization"] = org["key"]
        out.evidence["organization"] = _quote(md.organization.evidence[0].quote)
    return out


def fill(session: Session, form: Any, text: str, *, replace: bool, apply: bool = True,
         filename: str = "admin") -> Filled:
    """Set on `form` (a `form.FormIn`) the fields the text's page states: all of them for an
    uploaded file (`replace`), only the empty ones for a pasted text; none when not `apply` (a
    text the person has already seen previewed: what they cleared stays cleared)."""
    found = stated(session, text, filename)
    for name, value in found.values.items():
        current = getattr(form, name)
        if apply and (replace or not current):
            if current != value:
                found.filled.append(name)
            setattr(form, name, value)
    # evidence only beside the fields that hold what the page states
    found.evidence = {k: v for k, v in found.evidence.items() if getattr(form, k) == found.values.get(k)}
    if found.new_organization and form.organization != found.new_organization["key"]:
        found.new_organization = None
    return found
