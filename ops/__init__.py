"""The process level: the `vitrine` command line, the process supervisor, nginx rendering and
the SEO audit. It starts the front and the API; nothing below imports it."""
