"""End-to-end tests: the real ``yibao`` commands and server, driven as separate processes."""
