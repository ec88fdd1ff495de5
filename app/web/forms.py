"""Reading forms that carry a whole UN text.

Starlette caps a form field at 1 MiB as sent, but URL-encoding triples the bytes of a Chinese
text: a field may be as large as the body ceiling of app/web/limits.py, so that a text over the
1 MB limit comes back in its form with the 413 message instead of a bare 400.
"""

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from app.config import get_settings


def form_reader(max_fields: int = 100):
    async def read(request: Request) -> FormData:
        # Read here so the handlers stay sync (in the thread pool, with their DB session).
        return await request.form(max_part_size=8 * get_settings().max_text_bytes, max_fields=max_fields)

    return read


TextFormDep = Annotated[FormData, Depends(form_reader())]
