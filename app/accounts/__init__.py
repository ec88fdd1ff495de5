"""Administrators' accounts: passwords and login throttling. Nothing here knows of the web: the
login pages, the session cookie and `AdminDep` are `app.web.login`'s."""
