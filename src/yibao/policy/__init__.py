"""Benefit policy as data: the file format, its validation and the versions in force."""
