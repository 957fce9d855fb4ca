"""Product reviews: the reviews themselves, their "helpful" votes, the actions the review limits
count, and each product's rating figures kept beside them.

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("held_reason", sa.String(length=200), nullable=False),
        sa.Column("verified_buyer", sa.Boolean(), nullable=False),
        sa.Column("helpful_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="reviews_rating_range"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product_id", "user_id", name="reviews_one_per_account"),
    )
    op.create_index("reviews_newest", "reviews", ["product_id", "status", "published_at", "id"])
    op.create_index(
        "reviews_helpful",
        "reviews",
        ["product_id", "status", "helpful_count", "published_at", "id"],
    )
    op.create_index(
        "reviews_lowest", "reviews", ["product_id", "status", "rating", "published_at", "id"]
    )
    op.create_index("reviews_queue", "reviews", ["status", "created_at"])
    op.create_index("reviews_user", "reviews", ["user_id"])
    op.create_table(
        "review_votes",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("review_id", "user_id"),
    )
    op.create_index("review_votes_user", "review_votes", ["user_id"])
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("client_address", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("review_actions_account", "review_actions", ["account", "at"])
    op.create_index("review_actions_address", "review_actions", ["client_address", "at"])
    op.create_table(
        "product_ratings",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        *(sa.Column(f"stars_{n}", sa.Integer(), nullable=False) for n in range(1, 6)),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("product_id"),
    )


def downgrade() -> None:
    op.drop_table("product_ratings")
    for index in ("address", "account"):
        op.drop_index(f"review_actions_{index}", table_name="review_actions")
    op.drop_table("review_actions")
    op.drop_index("review_votes_user", table_name="review_votes")
    op.drop_table("review_votes")
    for index in ("user", "queue", "lowest", "helpful", "newest"):
        op.drop_index(f"reviews_{index}", table_name="reviews")
    op.drop_table("reviews")
