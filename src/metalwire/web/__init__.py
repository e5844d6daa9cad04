"""The web layer: API (/api/v1) and HTML pages; thin, it parses, calls a service, renders."""
