"""Institutions' receiving accounts and the payment instruction of a closed clearing run (issue F)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "institution_accounts",
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("account_no", sa.String(length=32), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("changed_by", sa.String(length=60), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fixmedins_code"],
            ["institutions.fixmedins_code"],
            name=op.f("fk_institution_accounts_fixmedins_code_institutions"),
        ),
        sa.PrimaryKeyConstraint("fixmedins_code", name=op.f("pk_institution_accounts")),
    )
    op.create_table(
        "payment_instructions",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("instr_no", sa.String(length=30), nullable=False),
        sa.Column("issued_by", sa.String(length=60), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("paid_total", sa.BigInteger(), nullable=False),
        sa.Column("collections", sa.Integer(), nullable=False),
        sa.Column("collected_total", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period"],
            ["payout_runs.period"],
            name=op.f("fk_payment_instructions_period_payout_runs"),
        ),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_payment_instructions")),
        sa.UniqueConstraint("instr_no", name=op.f("uq_payment_instructions_instr_no")),
    )
    op.create_table(
        "payment_lines",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_name", sa.String(length=200), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("account_no", sa.String(length=32), nullable=True),
        sa.Column("account_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["period"],
            ["payment_instructions.period"],
            name=op.f("fk_payment_lines_period_payment_instructions"),
        ),
        sa.PrimaryKeyConstraint("period", "line_no", name=op.f("pk_payment_lines")),
    )


def downgrade() -> None:
    op.drop_table("payment_lines")
    op.drop_table("payment_instructions")
    op.drop_table("institution_accounts")
