"""Visits at institutions outside the deployment (issue E): drop visits → institutions

A manual claim (手工报销) may be for care at an institution of a region this deployment does not
serve; its settlement is stored as a ``visits`` row like any other, so the visit's institution can no
longer be required to be in ``institutions``. Direct settlements still check the calling institution
against the reference before a visit is registered.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FK = "fk_visits_fixmedins_code_institutions"


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_constraint(_FK, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_foreign_key(_FK, "institutions", ["fixmedins_code"], ["fixmedins_code"])
