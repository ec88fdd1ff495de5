"""The chains: which documents make up an organization's series (membership), the links
with what each recalls and leaves out, anomalies, points in time, and their reads."""
