"""The timeline graph: documents on a session axis, laid out by Graphviz."""
