"""Inter-region clearing (issue E): monthly statements per pair of regions, their lines

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_STATEMENT = ["period", "region_a", "region_b"]


def upgrade() -> None:
    op.create_table(
        "clearing_periods",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("built_by", sa.String(length=60), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("rebuilds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_clearing_periods")),
    )

    op.create_table(
        "clearing_statements",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("region_a", sa.String(length=6), nullable=False),
        sa.Column("region_b", sa.String(length=6), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period"],
            ["clearing_periods.period"],
            name=op.f("fk_clearing_statements_period_clearing_periods"),
        ),
        sa.PrimaryKeyConstraint(*_STATEMENT, name=op.f("pk_clearing_statements")),
    )

    op.create_table(
        "clearing_lines",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("region_a", sa.String(length=6), nullable=False),
        sa.Column("region_b", sa.String(length=6), nullable=False),
        sa.Column("setl_id", sa.String(length=40), nullable=False),
        sa.Column("creditor", sa.String(length=6), nullable=False),
        sa.Column("debtor", sa.String(length=6), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("origin_period", sa.String(length=7), nullable=False),
        sa.Column("carried_from", sa.String(length=7), nullable=True),
        sa.Column("carried_to", sa.String(length=7), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("creditor_agreed", sa.Boolean(), nullable=False),
        sa.Column("debtor_agreed", sa.Boolean(), nullable=False),
        sa.Column("disputed_by", sa.String(length=6), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolution", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            _STATEMENT,
            [f"clearing_statements.{name}" for name in _STATEMENT],
            name=op.f("fk_clearing_lines_period_clearing_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["setl_id"],
            ["region_receivables.setl_id"],
            name=op.f("fk_clearing_lines_setl_id_region_receivables"),
        ),
        sa.PrimaryKeyConstraint(*_STATEMENT, "setl_id", name=op.f("pk_clearing_lines")),
    )
    op.create_index("ix_clearing_lines_setl_id", "clearing_lines", ["setl_id"])
    op.create_index("ix_clearing_lines_state_period", "clearing_lines", ["state", "period"])

    op.create_table(
        "clearing_steps",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("region_a", sa.String(length=6), nullable=False),
        sa.Column("region_b", sa.String(length=6), nullable=False),
        sa.Column("setl_id", sa.String(length=40), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("state_after", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolution", sa.String(length=10), nullable=True),
        sa.ForeignKeyConstraint(
            [*_STATEMENT, "setl_id"],
            [f"clearing_lines.{name}" for name in (*_STATEMENT, "setl_id")],
            name=op.f("fk_clearing_steps_period_clearing_lines"),
        ),
        sa.PrimaryKeyConstraint(*_STATEMENT, "setl_id", "step_no", name=op.f("pk_clearing_steps")),
    )
    op.create_index("ix_clearing_steps_setl_id", "clearing_steps", ["setl_id"])


def downgrade() -> None:
    op.drop_index("ix_clearing_steps_setl_id", table_name="clearing_steps")
    op.drop_table("clearing_steps")
    op.drop_index("ix_clearing_lines_state_period", table_name="clearing_lines")
    op.drop_index("ix_clearing_lines_setl_id", table_name="clearing_lines")
    op.drop_table("clearing_lines")
    op.drop_table("clearing_statements")
    op.drop_table("clearing_periods")
