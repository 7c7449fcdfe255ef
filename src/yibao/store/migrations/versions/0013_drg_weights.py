"""DRG weight versions and their groups' weights (issue G, parts 4–5)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drg_weight_sets",
        sa.Column("version_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("years", sa.String(length=60), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("base_rate", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("overall_mean", sa.BigInteger(), nullable=False),
        sa.Column("built_by", sa.String(length=60), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version_no", name=op.f("pk_drg_weight_sets")),
    )
    op.create_table(
        "drg_weights",
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("drg", sa.String(length=4), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("mean_cost", sa.BigInteger(), nullable=False),
        sa.Column("rw", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_no"],
            ["drg_weight_sets.version_no"],
            name=op.f("fk_drg_weights_version_no_drg_weight_sets"),
        ),
        sa.PrimaryKeyConstraint("version_no", "drg", name=op.f("pk_drg_weights")),
    )


def downgrade() -> None:
    op.drop_table("drg_weights")
    op.drop_table("drg_weight_sets")
