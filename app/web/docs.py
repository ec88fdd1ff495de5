"""/docs: Swagger UI for the JSON API, from static/vendor (the pinned `swagger-ui-dist` package
that `make install` copies), started by static/docs.js: no CDN and no inline script, so the page
works offline and under the same Content-Security-Policy as every other page."""

from fastapi import APIRouter, Request

from app.web.render import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def api_docs(request: Request):
    return templates.TemplateResponse(request, "api_docs.html", {"openapi_url": request.app.openapi_url})
