"""Audit review (issue D): stored findings, review cases with their steps, inpatient sample draws.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 23:07:40
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: 64-bit on PostgreSQL; SQLite's INTEGER PRIMARY KEY (its rowid) so that it autoincrements
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_findings",
        sa.Column("finding_id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("moment", sa.String(length=6), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("rule_id", sa.String(length=60), nullable=False),
        sa.Column("rule_name", sa.String(length=300), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("feedetl_sn", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee_date", sa.Date(), nullable=False),
        sa.Column("vola_cont", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_audit_findings")),
    )
    op.create_index("ix_audit_findings_mdtrt_id", "audit_findings", ["mdtrt_id"])
    op.create_index("ix_audit_findings_reference", "audit_findings", ["reference"])
    op.create_index(
        "ix_audit_findings_fixmedins_code_period", "audit_findings", ["fixmedins_code", "period"]
    )

    op.create_table(
        "audit_cases",
        sa.Column("case_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=False),
        sa.Column("case_no", sa.Integer(), nullable=False),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("amount_at_issue", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("amount_upheld", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_audit_cases")),
        sa.UniqueConstraint(
            "mdtrt_id", "reason", "case_no", name=op.f("uq_audit_cases_mdtrt_id_reason_case_no")
        ),
    )
    op.create_index("ix_audit_cases_state_period", "audit_cases", ["state", "period"])
    op.create_index(
        "ix_audit_cases_fixmedins_code_period_state",
        "audit_cases",
        ["fixmedins_code", "period", "state"],
    )

    op.create_table(
        "audit_case_findings",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", _BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["audit_cases.case_id"],
            name=op.f("fk_audit_case_findings_case_id_audit_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["audit_findings.finding_id"],
            name=op.f("fk_audit_case_findings_finding_id_audit_findings"),
        ),
        sa.PrimaryKeyConstraint("case_id", "finding_id", name=op.f("pk_audit_case_findings")),
    )
    op.create_index("ix_audit_case_findings_finding_id", "audit_case_findings", ["finding_id"])

    op.create_table(
        "audit_case_steps",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("state_after", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["audit_cases.case_id"],
            name=op.f("fk_audit_case_steps_case_id_audit_cases"),
        ),
        sa.PrimaryKeyConstraint("case_id", "step_no", name=op.f("pk_audit_case_steps")),
    )

    op.create_table(
        "audit_samples",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("share", sa.BigInteger(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("drawn_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("period", "fixmedins_code", name=op.f("pk_audit_samples")),
    )


def downgrade() -> None:
    op.drop_table("audit_samples")
    op.drop_table("audit_case_steps")
    op.drop_index("ix_audit_case_findings_finding_id", table_name="audit_case_findings")
    op.drop_table("audit_case_findings")
    op.drop_index("ix_audit_cases_fixmedins_code_period_state", table_name="audit_cases")
    op.drop_index("ix_audit_cases_state_period", table_name="audit_cases")
    op.drop_table("audit_cases")
    op.drop_index("ix_audit_findings_fixmedins_code_period", table_name="audit_findings")
    op.drop_index("ix_audit_findings_reference", table_name="audit_findings")
    op.drop_index("ix_audit_findings_mdtrt_id", table_name="audit_findings")
    op.drop_table("audit_findings")
