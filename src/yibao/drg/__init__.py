"""CHS-DRG 1.1 grouping (疾病诊断相关分组): the rule files compiled once, a pure grouper, a trace per case.

``model`` holds the records, ``parse`` compiles the rule text, ``validate`` and ``engine`` group a
case, ``rules`` loads the shipped files, ``grouper`` groups with them (``group(case)``),
``formats`` reads and writes the CSV of ``yibao drg group``, ``service`` groups a file, and
``samples`` draws realistic cases for tests and the benchmark. See ``docs/drg-grouping.md``.
"""
