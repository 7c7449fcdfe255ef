"""Intelligent audit (智能审核): the rule base (rule families, rules, knowledge tables) and its files.

``model`` holds the pure rule values, ``families`` the catalogue of rule templates, ``formats``
the rule files (TOML + CSV knowledge tables), ``national`` the import of the national batches
(两库). The engine that evaluates rules over fee lines comes next (``docs/audit-rules.md``).
"""
