"""Product pictures say which colour they show, and shoppers can ask to be told when a sold-out
variant is back in stock.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product_images") as batch:
        batch.add_column(
            sa.Column("colour", sa.String(length=30), nullable=False, server_default="")
        )
    op.create_table(
        "stock_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["variant_id"], ["variants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    waiting = sa.text("sent_at IS NULL")
    op.create_index(
        "stock_alerts_waiting",
        "stock_alerts",
        ["variant_id", "email"],
        unique=True,
        sqlite_where=waiting,
        postgresql_where=waiting,
    )
    op.create_index("stock_alerts_due", "stock_alerts", ["due_at", "sent_at", "id"])
    op.create_index("stock_alerts_address", "stock_alerts", ["client_address", "created_at"])
    op.create_index("stock_alerts_email", "stock_alerts", ["email", "created_at"])


def downgrade() -> None:
    for index in ("email", "address", "due", "waiting"):
        op.drop_index(f"stock_alerts_{index}", table_name="stock_alerts")
    op.drop_table("stock_alerts")
    with op.batch_alter_table("product_images") as batch:
        batch.drop_column("colour")
