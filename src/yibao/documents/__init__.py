"""Printed documents (PDF): HTML templates through WeasyPrint with the Noto CJK fonts (docs/documents.md)."""
