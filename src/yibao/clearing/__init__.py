"""Reconciliation, clearing and deductions (issue F): what the agency pays each institution a month.

对账 (3201/3202 with the 9101/9102 file transfer) and clearing applications (3203/3204), the
monthly clearing run per institution (fund payments less upheld deductions, penalties and the
quality deposit, plus refunds won on appeal), deductions and the agreement's penalties, appeals,
refunds and supplementary payments, and the documents (deduction letters, settlement slips,
clearing statements).
"""
