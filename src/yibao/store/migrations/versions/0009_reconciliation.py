"""Reconciliation (issue F): uploaded files, 3201/3202 results, clearing applications 3203/3204

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_STATEMENT_AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay")


def _amount(name: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "exchange_files",
        sa.Column("file_qury_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("infno", sa.String(length=6), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("dld_endtime", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("file_qury_no", name=op.f("pk_exchange_files")),
    )
    op.create_index(
        "ix_exchange_files_fixmedins_code_uploaded_at",
        "exchange_files",
        ["fixmedins_code", "uploaded_at"],
    )

    op.create_table(
        "total_reconciliations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("setl_optins", sa.String(length=6), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("clr_type", sa.String(length=6), nullable=False),
        sa.Column("refd_setl_flag", sa.String(length=1), nullable=True),
        sa.Column("stmt_begndate", sa.Date(), nullable=False),
        sa.Column("stmt_enddate", sa.Date(), nullable=False),
        sa.Column("their_setl_cnt", sa.Integer(), nullable=False),
        *(_amount(f"their_{name}") for name in _STATEMENT_AMOUNTS),
        sa.Column("our_setl_cnt", sa.Integer(), nullable=False),
        *(_amount(f"our_{name}") for name in _STATEMENT_AMOUNTS),
        sa.Column("stmt_rslt", sa.String(length=6), nullable=False),
        sa.Column("stmt_rslt_dscr", sa.Text(), nullable=False),
        sa.Column("reconciled_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_total_reconciliations")),
    )
    op.create_index(
        "ix_total_reconciliations_fixmedins_code",
        "total_reconciliations",
        ["fixmedins_code", "reconciled_at"],
    )

    op.create_table(
        "detail_reconciliations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("setl_optins", sa.String(length=6), nullable=False),
        sa.Column("file_qury_no", sa.String(length=30), nullable=False),
        sa.Column("result_file_qury_no", sa.String(length=30), nullable=False),
        sa.Column("clr_type", sa.String(length=6), nullable=True),
        sa.Column("stmt_begndate", sa.Date(), nullable=False),
        sa.Column("stmt_enddate", sa.Date(), nullable=False),
        sa.Column("fixmedins_setl_cnt", sa.Integer(), nullable=False),
        _amount("medfee_sumamt"),
        _amount("fund_pay_sumamt"),
        _amount("cash_payamt"),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("amounts_differ", sa.Integer(), nullable=False),
        sa.Column("only_ours", sa.Integer(), nullable=False),
        sa.Column("only_theirs", sa.Integer(), nullable=False),
        sa.Column("stmt_rslt", sa.String(length=6), nullable=False),
        sa.Column("reconciled_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_qury_no"],
            ["exchange_files.file_qury_no"],
            name=op.f("fk_detail_reconciliations_file_qury_no_exchange_files"),
        ),
        sa.ForeignKeyConstraint(
            ["result_file_qury_no"],
            ["exchange_files.file_qury_no"],
            name=op.f("fk_detail_reconciliations_result_file_qury_no_exchange_files"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detail_reconciliations")),
    )
    op.create_index(
        "ix_detail_reconciliations_fixmedins_code",
        "detail_reconciliations",
        ["fixmedins_code", "reconciled_at"],
    )

    op.create_table(
        "clearing_applications",
        sa.Column("clr_appy_evt_id", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("clr_type", sa.String(length=6), nullable=False),
        sa.Column("clr_way", sa.String(length=30), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("psntime", sa.Integer(), nullable=False),
        _amount("medfee_sumamt"),
        _amount("med_sumfee"),
        _amount("fund_appy_sum"),
        _amount("cash_payamt"),
        _amount("acct_pay"),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=False),
        sa.Column("msgid", sa.String(length=30), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("clr_appy_evt_id", name=op.f("pk_clearing_applications")),
    )
    op.create_index(
        "ix_clearing_applications_period",
        "clearing_applications",
        ["fixmedins_code", "period", "clr_type"],
    )


def downgrade() -> None:
    op.drop_index("ix_clearing_applications_period", table_name="clearing_applications")
    op.drop_table("clearing_applications")
    op.drop_index("ix_detail_reconciliations_fixmedins_code", table_name="detail_reconciliations")
    op.drop_table("detail_reconciliations")
    op.drop_index("ix_total_reconciliations_fixmedins_code", table_name="total_reconciliations")
    op.drop_table("total_reconciliations")
    op.drop_index("ix_exchange_files_fixmedins_code_uploaded_at", table_name="exchange_files")
    op.drop_table("exchange_files")
