"""Monthly payment to institutions (issue F): deductions, consequences, appeals, adjustments,
clearing runs with statements and lines; the billing department on fee lines

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adjustments",
        sa.Column("adjustment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("party_type", sa.String(length=12), nullable=False),
        sa.Column("party", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrects_type", sa.String(length=12), nullable=False),
        sa.Column("corrects_ref", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint("adjustment_id", name=op.f("pk_adjustments")),
    )
    op.create_index("ix_adjustments_party", "adjustments", ["party_type", "party"], unique=False)
    op.create_table(
        "deduction_runs",
        sa.Column("run_no", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("run_no", name=op.f("pk_deduction_runs")),
    )
    op.create_index(op.f("ix_deduction_runs_period"), "deduction_runs", ["period"], unique=False)
    op.create_table(
        "payout_runs",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("built_by", sa.String(length=60), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.Column("rebuilds", sa.Integer(), nullable=False),
        sa.Column("closed_by", sa.String(length=60), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_payout_runs")),
    )
    op.create_table(
        "consequences",
        sa.Column("consequence_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("dept_codg", sa.String(length=30), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("violation_type", sa.String(length=30), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("base_amount", sa.BigInteger(), nullable=False),
        sa.Column("min_amount", sa.BigInteger(), nullable=False),
        sa.Column("max_amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("multiplier", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("suspend_from", sa.Date(), nullable=True),
        sa.Column("suspend_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_no"],
            ["deduction_runs.run_no"],
            name=op.f("fk_consequences_run_no_deduction_runs"),
        ),
        sa.PrimaryKeyConstraint("consequence_id", name=op.f("pk_consequences")),
    )
    op.create_table(
        "deductions",
        sa.Column("deduction_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("consequence_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.String(length=60), nullable=False),
        sa.Column("rule_name", sa.String(length=300), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=True),
        sa.Column("psn_no", sa.String(length=30), nullable=True),
        sa.Column("feedetl_sn", sa.String(length=30), nullable=True),
        sa.Column("item", sa.String(length=200), nullable=True),
        sa.Column("fee_date", sa.Date(), nullable=True),
        sa.Column("dept_codg", sa.String(length=30), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("upheld_at", sa.DateTime(), nullable=False),
        sa.Column("appeal_due", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_no"], ["deduction_runs.run_no"], name=op.f("fk_deductions_run_no_deduction_runs")
        ),
        sa.PrimaryKeyConstraint("deduction_id", name=op.f("pk_deductions")),
        sa.UniqueConstraint("case_id", name=op.f("uq_deductions_case_id")),
        sa.UniqueConstraint("consequence_id", name=op.f("uq_deductions_consequence_id")),
    )
    op.create_index(
        "ix_deductions_fixmedins_code_upheld_at",
        "deductions",
        ["fixmedins_code", "upheld_at"],
        unique=False,
    )
    op.create_table(
        "payout_statements",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_name", sa.String(length=200), nullable=False),
        sa.Column("settlements", sa.Integer(), nullable=False),
        sa.Column("fund_payments", sa.BigInteger(), nullable=False),
        sa.Column("deductions", sa.BigInteger(), nullable=False),
        sa.Column("penalties", sa.BigInteger(), nullable=False),
        sa.Column("deposit", sa.BigInteger(), nullable=False),
        sa.Column("appeal_refunds", sa.BigInteger(), nullable=False),
        sa.Column("deposit_releases", sa.BigInteger(), nullable=False),
        sa.Column("refunds", sa.BigInteger(), nullable=False),
        sa.Column("supplements", sa.BigInteger(), nullable=False),
        sa.Column("net", sa.BigInteger(), nullable=False),
        sa.Column("by_fund", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period"], ["payout_runs.period"], name=op.f("fk_payout_statements_period_payout_runs")
        ),
        sa.PrimaryKeyConstraint("period", "fixmedins_code", name=op.f("pk_payout_statements")),
    )
    op.create_table(
        "appeals",
        sa.Column("appeal_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deduction_id", sa.Integer(), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=60), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("refund_amount", sa.BigInteger(), nullable=True),
        sa.Column("refund_period", sa.String(length=7), nullable=True),
        sa.ForeignKeyConstraint(
            ["deduction_id"],
            ["deductions.deduction_id"],
            name=op.f("fk_appeals_deduction_id_deductions"),
        ),
        sa.PrimaryKeyConstraint("appeal_id", name=op.f("pk_appeals")),
        sa.UniqueConstraint("deduction_id", name=op.f("uq_appeals_deduction_id")),
    )
    op.create_table(
        "deduction_findings",
        sa.Column(
            "finding_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("deduction_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deduction_id"],
            ["deductions.deduction_id"],
            name=op.f("fk_deduction_findings_deduction_id_deductions"),
        ),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_deduction_findings")),
    )
    op.create_index(
        op.f("ix_deduction_findings_deduction_id"),
        "deduction_findings",
        ["deduction_id"],
        unique=False,
    )
    op.create_table(
        "payout_lines",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("funds", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["period", "fixmedins_code"],
            ["payout_statements.period", "payout_statements.fixmedins_code"],
            name=op.f("fk_payout_lines_period_payout_statements"),
        ),
        sa.PrimaryKeyConstraint(
            "period", "fixmedins_code", "line_no", name=op.f("pk_payout_lines")
        ),
    )
    op.create_table(
        "appeal_steps",
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"], ["appeals.appeal_id"], name=op.f("fk_appeal_steps_appeal_id_appeals")
        ),
        sa.PrimaryKeyConstraint("appeal_id", "step_no", name=op.f("pk_appeal_steps")),
    )
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bilg_dept_codg", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("bilg_dept_name", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.drop_column("bilg_dept_name")
        batch_op.drop_column("bilg_dept_codg")
    op.drop_table("appeal_steps")
    op.drop_table("payout_lines")
    op.drop_table("deduction_findings")
    op.drop_table("appeals")
    op.drop_table("payout_statements")
    op.drop_table("deductions")
    op.drop_table("consequences")
    op.drop_table("payout_runs")
    op.drop_table("deduction_runs")
    op.drop_table("adjustments")
