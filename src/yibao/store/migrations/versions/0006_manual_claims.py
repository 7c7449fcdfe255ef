"""Manual reimbursement (issue E): settlement-failure records, claims, documents, steps

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_failures",
        sa.Column("failure_no", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_name", sa.String(length=200), nullable=False),
        sa.Column("hosp_lv", sa.String(length=2), nullable=False),
        sa.Column("care_admdvs", sa.String(length=6), nullable=False),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("psn_name", sa.String(length=50), nullable=False),
        sa.Column("certno", sa.String(length=50), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=True),
        sa.Column("med_type", sa.String(length=6), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=False),
        sa.Column("medfee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("issued_by", sa.String(length=60), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("failure_no", name=op.f("pk_settlement_failures")),
    )
    op.create_index("ix_settlement_failures_psn_no", "settlement_failures", ["psn_no"])

    op.create_table(
        "manual_claims",
        sa.Column("claim_no", sa.String(length=30), nullable=False),
        sa.Column("psn_no", sa.String(length=30), nullable=False),
        sa.Column("psn_name", sa.String(length=50), nullable=False),
        sa.Column("insutype", sa.String(length=6), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(length=6), nullable=False),
        sa.Column("failure_no", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.String(length=12), nullable=True),
        sa.Column("fixmedins_code", sa.String(length=30), nullable=False),
        sa.Column("fixmedins_name", sa.String(length=200), nullable=False),
        sa.Column("hosp_lv", sa.String(length=2), nullable=False),
        sa.Column("care_admdvs", sa.String(length=6), nullable=False),
        sa.Column("med_type", sa.String(length=6), nullable=False),
        sa.Column("begndate", sa.Date(), nullable=False),
        sa.Column("enddate", sa.Date(), nullable=False),
        sa.Column("diagnoses", sa.JSON(), nullable=False),
        sa.Column("injury_cause", sa.String(length=20), nullable=False),
        sa.Column("medfee_sumamt", sa.BigInteger(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(length=10), nullable=False),
        sa.Column("operator", sa.String(length=60), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("clerk", sa.String(length=60), nullable=True),
        sa.Column("complete_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("liability_note", sa.Text(), nullable=True),
        sa.Column("refusal_code", sa.String(length=24), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("mdtrt_id", sa.String(length=30), nullable=True),
        sa.Column("setl_id", sa.String(length=40), nullable=True),
        sa.Column("catalog_admdvs", sa.String(length=6), nullable=True),
        sa.Column("filing_type", sa.String(length=20), nullable=True),
        sa.Column("fund_pay_sumamt", sa.BigInteger(), nullable=True),
        sa.Column("psn_part_amt", sa.BigInteger(), nullable=True),
        sa.Column("payable", sa.BigInteger(), nullable=True),
        sa.Column("paid_amount", sa.BigInteger(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("bank_ref", sa.String(length=60), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["failure_no"],
            ["settlement_failures.failure_no"],
            name=op.f("fk_manual_claims_failure_no_settlement_failures"),
        ),
        sa.PrimaryKeyConstraint("claim_no", name=op.f("pk_manual_claims")),
    )
    op.create_index("ix_manual_claims_state_due_on", "manual_claims", ["state", "due_on"])
    op.create_index("ix_manual_claims_psn_no", "manual_claims", ["psn_no"])
    op.create_index("ix_manual_claims_failure_no", "manual_claims", ["failure_no"])

    op.create_table(
        "manual_claim_lines",
        sa.Column("claim_no", sa.String(length=30), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("cnt", sa.BigInteger(), nullable=False),
        sa.Column("pric", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee_date", sa.Date(), nullable=False),
        sa.Column("hosp_appr_flag", sa.String(length=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_no"],
            ["manual_claims.claim_no"],
            name=op.f("fk_manual_claim_lines_claim_no_manual_claims"),
        ),
        sa.PrimaryKeyConstraint("claim_no", "line_no", name=op.f("pk_manual_claim_lines")),
    )

    op.create_table(
        "manual_claim_documents",
        sa.Column("claim_no", sa.String(length=30), nullable=False),
        sa.Column("doc_no", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=20), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by", sa.String(length=60), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_no"],
            ["manual_claims.claim_no"],
            name=op.f("fk_manual_claim_documents_claim_no_manual_claims"),
        ),
        sa.PrimaryKeyConstraint("claim_no", "doc_no", name=op.f("pk_manual_claim_documents")),
        sa.UniqueConstraint(
            "claim_no", "sha256", name=op.f("uq_manual_claim_documents_claim_no_sha256")
        ),
    )

    op.create_table(
        "manual_claim_steps",
        sa.Column("claim_no", sa.String(length=30), nullable=False),
        sa.Column("step_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("state_after", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_no"],
            ["manual_claims.claim_no"],
            name=op.f("fk_manual_claim_steps_claim_no_manual_claims"),
        ),
        sa.PrimaryKeyConstraint("claim_no", "step_no", name=op.f("pk_manual_claim_steps")),
    )


def downgrade() -> None:
    op.drop_table("manual_claim_steps")
    op.drop_table("manual_claim_documents")
    op.drop_table("manual_claim_lines")
    op.drop_index("ix_manual_claims_failure_no", table_name="manual_claims")
    op.drop_index("ix_manual_claims_psn_no", table_name="manual_claims")
    op.drop_index("ix_manual_claims_state_due_on", table_name="manual_claims")
    op.drop_table("manual_claims")
    op.drop_index("ix_settlement_failures_psn_no", table_name="settlement_failures")
    op.drop_table("settlement_failures")
