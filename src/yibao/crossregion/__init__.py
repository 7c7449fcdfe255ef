"""Out-of-area care (异地就医) beyond direct settlement: settlement-failure records, manual
reimbursement (手工报销) and inter-region clearing. Filings live in the registry
(:mod:`yibao.registry.remote_filings`); direct settlement in :mod:`yibao.settlement`.
"""
