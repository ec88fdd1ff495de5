"""The web: routers by feature (chains, documents, search, graph, exports, api, admin, login),
rendering, URLs, security, the page cache and errors. Only app.main imports it."""
