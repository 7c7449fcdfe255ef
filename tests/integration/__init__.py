"""Integration tests: code run against real databases (SQLite and PostgreSQL) and servers."""
