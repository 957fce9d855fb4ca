"""Registrations wait for the link mailed to their address (and are counted by the
registration limits) before an account is made.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("account_exists", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("registrations_token", "registrations", ["token"])
    op.create_index("registrations_email", "registrations", ["email", "created_at"])
    op.create_index("registrations_address", "registrations", ["client_address", "created_at"])
    op.create_index("registrations_unsent", "registrations", ["sent_at", "id"])


def downgrade() -> None:
    for index in ("unsent", "address", "email", "token"):
        op.drop_index(f"registrations_{index}", table_name="registrations")
    op.drop_table("registrations")
