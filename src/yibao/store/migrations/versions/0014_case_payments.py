"""Clearing statements carry the DRG differences of stays paid by case (issue G)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payout_statements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("case_payments", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("payout_statements", schema=None) as batch_op:
        batch_op.drop_column("case_payments")
