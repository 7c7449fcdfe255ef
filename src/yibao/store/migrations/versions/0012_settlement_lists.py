"""Settlement lists (医疗保障基金结算清单, 4101–4103) and the group of the case (issue G)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_lists",
        sa.Column("setl_list_id", sa.String(length=30), nullable=False),
        sa.Column("setl_id", sa.String(length=40), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=1), nullable=False),
        sa.Column("uploads", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("drg_case", sa.JSON(), nullable=False),
        sa.Column("grouper", sa.String(length=30), nullable=False),
        sa.Column("group_status", sa.String(length=12), nullable=False),
        sa.Column("mdc", sa.String(length=4), nullable=True),
        sa.Column("adrg", sa.String(length=3), nullable=False),
        sa.Column("drg", sa.String(length=4), nullable=False),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("grouped_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["setl_id"],
            ["settlements.setl_id"],
            name=op.f("fk_settlement_lists_setl_id_settlements"),
        ),
        sa.PrimaryKeyConstraint("setl_list_id", name=op.f("pk_settlement_lists")),
        sa.UniqueConstraint("setl_id", name=op.f("uq_settlement_lists_setl_id")),
    )
    op.create_index(
        op.f("ix_settlement_lists_mdtrt_id"), "settlement_lists", ["mdtrt_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_settlement_lists_mdtrt_id"), table_name="settlement_lists")
    op.drop_table("settlement_lists")
