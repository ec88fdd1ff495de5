"""The timeline graphs: laid out by Graphviz under limits, once per data version, and stored."""
