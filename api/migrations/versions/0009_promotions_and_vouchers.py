"""Promotions and vouchers: promotions with their targets and codes, the codes a basket holds,
the uses per customer, and the discounts of an order (its lines' shares too).

The free standard delivery from EUR 75 that checkout used to hard-code becomes the first
promotion, so a shop keeps what its shoppers had and can now change it.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-05 08:54:02
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("benefit", sa.String(length=20), nullable=False),
        sa.Column("percent_off", sa.Integer(), server_default="0", nullable=False),
        sa.Column("amount_off", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("buy_quantity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("free_quantity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("min_subtotal", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("needs_code", sa.Boolean(), nullable=False),
        sa.Column("combinable", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("first_order_only", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_customer", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "benefit IN ('percent_off', 'amount_off', 'free_delivery', 'buy_n_get_m')",
            name="promotions_benefit",
        ),
        sa.CheckConstraint("amount_off >= 0 AND min_subtotal >= 0", name="promotions_amounts"),
        sa.CheckConstraint(
            "max_uses IS NULL OR times_used <= max_uses", name="promotions_within_limit"
        ),
        sa.CheckConstraint("percent_off BETWEEN 0 AND 100", name="promotions_percent"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.create_index("promotions_window", ["needs_code", "ends_at"], unique=False)

    op.create_table(
        "promotion_customer_uses",
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=270), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["promotion_id"], ["promotions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("promotion_id", "customer"),
    )
    op.create_table(
        "promotion_targets",
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('product', 'category')", name="promotion_targets_kind"),
        sa.ForeignKeyConstraint(["promotion_id"], ["promotions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("promotion_id", "kind", "target_id"),
    )
    op.create_table(
        "voucher_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("times_used", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "max_uses IS NULL OR times_used <= max_uses", name="voucher_codes_within_limit"
        ),
        sa.ForeignKeyConstraint(["promotion_id"], ["promotions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("voucher_codes", schema=None) as batch_op:
        batch_op.create_index("voucher_codes_promotion", ["promotion_id"], unique=False)

    op.create_table(
        "basket_vouchers",
        sa.Column("basket_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["basket_id"], ["baskets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["code_id"], ["voucher_codes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("basket_id", "code_id"),
    )
    op.create_table(
        "voucher_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("basket", sa.String(length=20), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("voucher_attempts_basket", "voucher_attempts", ["basket", "at"])
    op.create_index("voucher_attempts_address", "voucher_attempts", ["client_address", "at"])
    op.create_table(
        "order_discounts",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("target", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.PrimaryKeyConstraint("order_id", "position"),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compare_at_unit_price", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("sale_name", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("discount", sa.BigInteger(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("discount", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index("orders_email", ["email"], unique=False)

    now = datetime.now(UTC)
    promotions = sa.table(
        "promotions",
        sa.column("name", sa.String),
        sa.column("benefit", sa.String),
        sa.column("min_subtotal", sa.BigInteger),
        sa.column("currency", sa.String),
        sa.column("needs_code", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        promotions,
        [
            {
                "name": "Free standard delivery from €75",
                "benefit": "free_delivery",
                "min_subtotal": 7500,
                "currency": "EUR",
                "needs_code": False,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("orders_email")
        batch_op.drop_column("discount")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("discount")
        batch_op.drop_column("sale_name")
        batch_op.drop_column("compare_at_unit_price")

    op.drop_table("order_discounts")
    op.drop_index("voucher_attempts_address", table_name="voucher_attempts")
    op.drop_index("voucher_attempts_basket", table_name="voucher_attempts")
    op.drop_table("voucher_attempts")
    op.drop_table("basket_vouchers")
    with op.batch_alter_table("voucher_codes", schema=None) as batch_op:
        batch_op.drop_index("voucher_codes_promotion")

    op.drop_table("voucher_codes")
    op.drop_table("promotion_targets")
    op.drop_table("promotion_customer_uses")
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_index("promotions_window")

    op.drop_table("promotions")
