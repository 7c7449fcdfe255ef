"""Registry details: employers' contributions, identity references, filings' particulars.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_FILINGS = ("chronic_filings", "designated_filings", "referral_filings")


def upgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emp_no", sa.String(length=30), nullable=True))
    with op.batch_alter_table("person_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ref", sa.String(length=60), nullable=True))
    with op.batch_alter_table("premium_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payer", sa.String(length=30), nullable=True))
        batch_op.create_index("ix_premium_ledger_payer_ref", ["payer", "ref"], unique=False)
    for table in _FILINGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("particulars", sa.JSON(), nullable=False, server_default="{}")
            )


def downgrade() -> None:
    for table in _FILINGS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("particulars")
    with op.batch_alter_table("premium_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_premium_ledger_payer_ref")
        batch_op.drop_column("payer")
    with op.batch_alter_table("person_identities", schema=None) as batch_op:
        batch_op.drop_column("ref")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("emp_no")
