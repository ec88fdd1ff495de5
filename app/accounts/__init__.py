"""Administrators' accounts: passwords, sessions kept on the server, and login throttling.
Nothing here knows of the web: the login pages, the session cookie and `AdminDep` are
`app.web.login`'s."""
