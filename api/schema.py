"""The database tables, in SQLAlchemy Core, the same for SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

categories = Table(
    "categories",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("categories.id"), nullable=True),
    Column("slug", String(120), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("depth", Integer, nullable=False),
    Column("position", Integer, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(200), nullable=False, unique=True),
    Column("sku", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("brand", String(80), nullable=False),
    Column("description", Text, nullable=False),
    # Always a leaf category; listings of a parent include its whole subtree.
    Column("category_id", Integer, ForeignKey("categories.id"), nullable=False),
    # Money in integer minor units; compare_at_price is the "was" price, NULL when none.
    Column("price", BigInteger, nullable=False),
    Column("compare_at_price", BigInteger, nullable=True),
    Column("currency", String(3), nullable=False),
    Column("discontinued", Boolean, nullable=False, default=False),
    # The merchandiser's order, used when a listing asks for no particular sort.
    Column("position", Integer, nullable=False),
    # Lower-cased name, brand, category and colours: what search matches words against.
    Column("search_text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("price >= 0", name="products_price_not_negative"),
)
# Listings filter on (category, live) and order by one sort; each sort has an index that serves
# both, ending on id, the tie-breaker (measured on 1M products: leaf listings drop from hundreds
# of ms to about 10 ms). The ones without a category serve whole-subtree listings. No index
# starts with `discontinued`: SQLite would pick it for search and scan slower.
_LIVE_IN_CATEGORY = (products.c.category_id, products.c.discontinued)
Index("products_category_position", *_LIVE_IN_CATEGORY, products.c.position, products.c.id)
Index("products_category_price", *_LIVE_IN_CATEGORY, products.c.price, products.c.id)
Index("products_category_created", *_LIVE_IN_CATEGORY, products.c.created_at, products.c.id)
Index("products_category_name", *_LIVE_IN_CATEGORY, products.c.name, products.c.id)
Index("products_position", products.c.position, products.c.id)
Index("products_price", products.c.price)
Index("products_created_at", products.c.created_at)
Index("products_name", products.c.name, products.c.id)
Index("products_brand", products.c.brand)
# The latest change of a category's live products: one index probe per category for the
# category sitemap's <lastmod> (ListCategoryLinks), not a grouped scan of every product.
Index("products_category_updated", *_LIVE_IN_CATEGORY, products.c.updated_at)

# The listing index: tables derived from categories, products and variants, so that a category
# page (its whole subtree) and its facet counts are index range reads, never a count over the
# subtree's products. api/listing_index.py is the only writer; docs/catalogue.md explains it.

# Every category with itself and each of its ancestors: the closure of the small category tree.
category_ancestors = Table(
    "category_ancestors",
    metadata,
    Column("category_id", Integer, ForeignKey("categories.id"), primary_key=True),
    Column("ancestor_id", Integer, ForeignKey("categories.id"), primary_key=True),
)

# One row per live product and per category whose subtree holds it (its leaf and every
# ancestor), with the columns each sort reads, so a listing walks one index in page order.
category_products = Table(
    "category_products",
    metadata,
    Column("category_id", Integer, ForeignKey("categories.id"), primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("name", String(200), nullable=False),
)
_listed = category_products.c
# One index per ProductSort, each in that sort's exact order (api/queries.py sort_order).
Index("category_products_position", _listed.category_id, _listed.position, _listed.product_id)
Index("category_products_price", _listed.category_id, _listed.price, _listed.product_id)
Index(
    "category_products_price_desc",
    _listed.category_id,
    _listed.price.desc(),
    _listed.product_id,
)
Index("category_products_created", _listed.category_id, _listed.created_at, _listed.product_id)
Index("category_products_name", _listed.category_id, _listed.name, _listed.product_id)
Index("category_products_product", _listed.product_id)

# The facet values of each listed product, per category of category_products: a selected value
# is a range of the primary key, so a filtered listing reads the products it shows and counts,
# not the whole subtree. Facets: "brand", "colour", "size", "price_band" (api/facets.py).
category_facet_values = Table(
    "category_facet_values",
    metadata,
    Column("category_id", Integer, ForeignKey("categories.id"), primary_key=True),
    Column("facet", String(20), primary_key=True),
    Column("value", String(100), primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), primary_key=True),
)
# From a product to its values: counting one facet over a filtered set of products.
Index(
    "category_facet_values_product",
    category_facet_values.c.product_id,
    category_facet_values.c.category_id,
    category_facet_values.c.facet,
    category_facet_values.c.value,
)

# Live products per category and facet value, and the category's total (facet and value ""),
# counted over the subtree: what an unfiltered listing shows, read rather than counted.
category_facet_counts = Table(
    "category_facet_counts",
    metadata,
    Column("category_id", Integer, ForeignKey("categories.id"), primary_key=True),
    Column("facet", String(20), primary_key=True),
    Column("value", String(100), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Live products per category having one value of each facet of a set (`facets`, a bit per facet:
# api/facet_combinations.py; the other facets' columns are ""), for every set and every choice of
# values that a product has: a filtered listing's counts are one primary-key range per facet,
# the rows of the selected values, whatever the number of products (api/listings.py).
category_facet_combinations = Table(
    "category_facet_combinations",
    metadata,
    Column("category_id", Integer, ForeignKey("categories.id"), primary_key=True),
    Column("facets", Integer, primary_key=True),
    Column("brand", String(100), primary_key=True),
    Column("colour", String(100), primary_key=True),
    Column("size", String(100), primary_key=True),
    Column("price_band", String(100), primary_key=True),
    Column("count", Integer, nullable=False),
)

# The combinations' rows whose set of facets holds colour or size, with the product's whole set
# of colours (and of sizes) joined in one value (api/facet_combinations.py): the counts of a
# listing with several colours or sizes selected, each product counted once, from rows whose
# number grows with the values, not the products (api/listings.py).
category_facet_sets = Table(
    "category_facet_sets",
    metadata,
    Column("category_id", Integer, ForeignKey("categories.id"), nullable=False),
    Column("facets", Integer, nullable=False),
    Column("brand", String(100), nullable=False),
    Column("colour", Text, nullable=False),
    Column("size", Text, nullable=False),
    Column("price_band", String(100), nullable=False),
    Column("count", Integer, nullable=False),
    # A facet's part of the counts reads a range of the key and each row's count: the key
    # holds it (PostgreSQL: INCLUDE, an index-only scan; SQLite: WITHOUT ROWID, the table is
    # the key), so the range is read alone rather than a table row per key entry.
    PrimaryKeyConstraint(
        "category_id",
        "facets",
        "brand",
        "colour",
        "size",
        "price_band",
        postgresql_include=["count"],
    ),
    sqlite_with_rowid=False,
)

# Slugs a product had before; GetProductBySlug answers them with "moved".
product_old_slugs = Table(
    "product_old_slugs",
    metadata,
    Column("slug", String(200), primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
)

product_images = Table(
    "product_images",
    metadata,
    Column("product_id", Integer, ForeignKey("products.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("url", String(300), nullable=False),
    Column("alt", String(300), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    # The variant colour the picture shows ("" when it shows none in particular): a colour
    # filter, a variant's basket line and its page show pictures of that colour.
    Column("colour", String(30), nullable=False, default="", server_default=""),
)

variants = Table(
    "variants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("sku", String(60), nullable=False, unique=True),
    Column("size", String(20), nullable=False, default=""),
    Column("colour", String(30), nullable=False, default=""),
    Column("stock", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    CheckConstraint("stock >= 0", name="variants_stock_not_negative"),
)
# Covers the colour and size facet joins as well as loading a product's variants.
Index("variants_product_colour_size", variants.c.product_id, variants.c.colour, variants.c.size)
Index("variants_colour", variants.c.colour, variants.c.product_id)
Index("variants_size", variants.c.size, variants.c.product_id)

product_attributes = Table(
    "product_attributes",
    metadata,
    Column("product_id", Integer, ForeignKey("products.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("value", String(200), nullable=False),
)

landing_pages = Table(
    "landing_pages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(120), nullable=False, unique=True),  # "home" is the home page
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

landing_blocks = Table(
    "landing_blocks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("page_id", Integer, ForeignKey("landing_pages.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # "banners" or "rail"
    # A rail shows a category's products in rail_sort order (a ProductSort value), or, with no
    # category, the hand-picked products of landing_rail_products.
    Column("rail_category_id", Integer, ForeignKey("categories.id"), nullable=True),
    Column("rail_sort", Integer, nullable=False, default=0),
    Column("rail_limit", Integer, nullable=False, default=8),
    CheckConstraint("kind IN ('banners', 'rail')", name="landing_blocks_kind"),
)
Index("landing_blocks_page", landing_blocks.c.page_id, landing_blocks.c.position)

landing_rail_products = Table(
    "landing_rail_products",
    metadata,
    Column("block_id", Integer, ForeignKey("landing_blocks.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
)

banners = Table(
    "banners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("block_id", Integer, ForeignKey("landing_blocks.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("link", String(300), nullable=False),
    Column("image_url", String(300), nullable=False),
    Column("alt", String(300), nullable=False),
    # Shown only inside [starts_at, ends_at); NULL leaves that side open.
    Column("starts_at", DateTime(timezone=True), nullable=True),
    Column("ends_at", DateTime(timezone=True), nullable=True),
)
Index("banners_block", banners.c.block_id, banners.c.position)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    # Stored lower-cased: one account per address whatever the case it is typed in.
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False),  # argon2id, with its parameters
    Column("created_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),  # set at log-out
)
Index("sessions_user", sessions.c.user_id)

# Failed log-ins, for the limit of 5 per account or per client address within 15 minutes.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("client_address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("login_failures_email", login_failures.c.email, login_failures.c.at)
Index("login_failures_address", login_failures.c.client_address, login_failures.c.at)

# A registration as asked for: the account is made only when the link mailed to the address is
# followed (Auth/ConfirmRegistration), so the answer to Register never says whether an account
# exists (docs/api.md). Each row is also the outbox of its one email (claimed and sent as
# mail_outbox's rows are), and the record the registration limits count (api/rate_limits.py).
registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True),
    # The secret in the confirmation link; empty when the address had an account already.
    Column("token", String(64), nullable=False),
    Column("email", String(254), nullable=False),
    Column("client_address", String(64), nullable=False),
    # The address had an account: its owner is told instead, and nothing else happens.
    Column("account_exists", Boolean, nullable=False),
    Column("name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
)
Index("registrations_token", registrations.c.token)
Index("registrations_email", registrations.c.email, registrations.c.created_at)
Index("registrations_address", registrations.c.client_address, registrations.c.created_at)
Index("registrations_unsent", registrations.c.sent_at, registrations.c.id)

# A basket, reached by its token (kept by the front in a signed cookie): a guest's, or, with
# user_id, an account's (one per account; a guest basket is merged into it at log-in).
baskets = Table(
    "baskets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

basket_lines = Table(
    "basket_lines",
    metadata,
    Column("basket_id", Integer, ForeignKey("baskets.id"), primary_key=True),
    Column("variant_id", Integer, ForeignKey("variants.id"), primary_key=True),
    Column("quantity", Integer, nullable=False),
    # Lines are shown in the order they were first added.
    Column("added_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("quantity > 0", name="basket_lines_quantity_positive"),
)


# Basket changes already applied, by the idempotency key the front sent with them (written in the
# change's own transaction): a retried change (after a 503, a double click) finds its key here and
# is answered with the basket instead of being applied twice. `request_digest` tells a retry from
# another change that reuses the key. No foreign key: a guest basket merged away at log-in leaves
# its rows, which then answer an empty basket. Rows older than a day are swept (api/sweeps.py).
basket_writes = Table(
    "basket_writes",
    metadata,
    Column("idempotency_key", String(64), primary_key=True),
    Column("basket_id", Integer, nullable=False),
    Column("request_digest", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("basket_writes_created", basket_writes.c.created_at)


def _address_columns() -> list[Column[str]]:
    """Where an order goes: the same columns on a checkout and on the order it becomes."""
    return [
        Column("ship_name", String(100), nullable=False, default=""),
        Column("ship_line1", String(200), nullable=False, default=""),
        Column("ship_line2", String(200), nullable=False, default=""),
        Column("ship_city", String(100), nullable=False, default=""),
        Column("ship_postcode", String(20), nullable=False, default=""),
        Column("ship_country", String(2), nullable=False, default=""),
        Column("ship_phone", String(40), nullable=False, default=""),
    ]


def _card_columns() -> list[Column[str] | Column[int]]:
    """The card as the shop keeps it: the gateway's token, never the number."""
    return [
        Column("card_brand", String(40), nullable=False, default=""),
        Column("card_last4", String(4), nullable=False, default=""),
        Column("card_exp_month", Integer, nullable=False, default=0),
        Column("card_exp_year", Integer, nullable=False, default=0),
        Column("card_holder", String(100), nullable=False, default=""),
    ]


# A basket's checkout in progress: made at the address step, gone when its order is placed.
# The idempotency key is handed to the review page and comes back with "place order".
checkouts = Table(
    "checkouts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("basket_id", Integer, ForeignKey("baskets.id"), nullable=False, unique=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    *_address_columns(),
    Column("shipping_method", String(20), nullable=False, default=""),
    Column("payment_token", String(100), nullable=False, default=""),
    *_card_columns(),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    # The secret of the guest's confirmation URL; the account's own orders need no token.
    Column("access_token", String(64), nullable=False),
    # One order per checkout key: a repeated "place order" finds this row instead of a new one.
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("status", Integer, nullable=False),  # shop.v1.OrderStatus
    Column("email", String(254), nullable=False),
    *_address_columns(),
    Column("shipping_method", String(20), nullable=False),
    Column("shipping_label", String(100), nullable=False),
    Column("shipping_min_days", Integer, nullable=False),
    Column("shipping_max_days", Integer, nullable=False),
    *_card_columns(),
    Column("payment_reference", String(100), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("shipping", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    # The promotions' discounts off the items (order_discounts): total = subtotal - discount
    # + shipping.
    Column("discount", BigInteger, nullable=False, server_default="0"),
)
Index("orders_user", orders.c.user_id, orders.c.placed_at)
Index("orders_email", orders.c.email)

# Copies of the basket lines as they were bought: later catalogue changes leave them alone.
order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Integer, ForeignKey("orders.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("variant_id", Integer, ForeignKey("variants.id"), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id"), nullable=False),
    Column("product_slug", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("variant_label", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    Column("line_total", BigInteger, nullable=False),
    CheckConstraint("quantity > 0", name="order_lines_quantity_positive"),
    # The regular price when a sale set unit_price, and the sale's name; NULL and "" otherwise.
    Column("compare_at_unit_price", BigInteger, nullable=True),
    Column("sale_name", String(120), nullable=False, server_default=""),
    # The line's share of the order's discounts: what refunding the line gives back.
    Column("discount", BigInteger, nullable=False, server_default="0"),
)

# Promotions (api/promotions.py, docs/checkout.md "Promotions and vouchers"): a benefit, the
# products or categories it covers (promotion_targets; none: everything), a minimum spend, a
# date window [starts_at, ends_at), and whether it applies by itself or needs a voucher code.
# times_used counts the orders that used it; the CHECKs hold the limits even if code forgot.
promotions = Table(
    "promotions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),  # what a shopper reads: "Winter sale"
    # "percent_off", "amount_off", "free_delivery" or "buy_n_get_m" (api/pricing.py Benefit)
    Column("benefit", String(20), nullable=False),
    Column("percent_off", Integer, nullable=False, server_default="0"),  # whole percent
    Column("amount_off", BigInteger, nullable=False, server_default="0"),  # minor units
    Column("buy_quantity", Integer, nullable=False, server_default="0"),  # buy N ...
    Column("free_quantity", Integer, nullable=False, server_default="0"),  # ... get M free
    Column("min_subtotal", BigInteger, nullable=False, server_default="0"),  # of covered lines
    Column("currency", String(3), nullable=False),  # of amount_off and min_subtotal
    Column("needs_code", Boolean, nullable=False),
    Column("combinable", Boolean, nullable=False, server_default="1"),  # with other codes
    Column("first_order_only", Boolean, nullable=False, server_default="0"),
    Column("starts_at", DateTime(timezone=True), nullable=True),  # NULL: open
    Column("ends_at", DateTime(timezone=True), nullable=True),  # exclusive; NULL: open
    Column("max_uses", Integer, nullable=True),  # orders in total; NULL: no limit
    Column("max_uses_per_customer", Integer, nullable=True),
    Column("times_used", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "benefit IN ('percent_off', 'amount_off', 'free_delivery', 'buy_n_get_m')",
        name="promotions_benefit",
    ),
    CheckConstraint("percent_off BETWEEN 0 AND 100", name="promotions_percent"),
    CheckConstraint("amount_off >= 0 AND min_subtotal >= 0", name="promotions_amounts"),
    CheckConstraint("max_uses IS NULL OR times_used <= max_uses", name="promotions_within_limit"),
)
Index("promotions_window", promotions.c.needs_code, promotions.c.ends_at)

promotion_targets = Table(
    "promotion_targets",
    metadata,
    Column(
        "promotion_id",
        Integer,
        ForeignKey("promotions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(10), primary_key=True),  # "product" or "category" (its subtree)
    Column("target_id", Integer, primary_key=True),
    CheckConstraint("kind IN ('product', 'category')", name="promotion_targets_kind"),
)

# Codes tried on baskets, for the limit on guessing (api/services/vouchers.py): a try is written
# first and counted after (api/rate_limits.py take_turn); one that applied is deleted again.
voucher_attempts = Table(
    "voucher_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("basket", String(20), nullable=False),  # the basket's id, as the limit's key
    Column("client_address", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("voucher_attempts_basket", voucher_attempts.c.basket, voucher_attempts.c.at)
Index("voucher_attempts_address", voucher_attempts.c.client_address, voucher_attempts.c.at)

# A promotion's codes: upper-case, unique across the shop, each with its own limit.
voucher_codes = Table(
    "voucher_codes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "promotion_id", Integer, ForeignKey("promotions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("code", String(40), nullable=False, unique=True),
    Column("max_uses", Integer, nullable=True),
    Column("times_used", Integer, nullable=False, server_default="0"),
    CheckConstraint(
        "max_uses IS NULL OR times_used <= max_uses", name="voucher_codes_within_limit"
    ),
)
Index("voucher_codes_promotion", voucher_codes.c.promotion_id)

# The codes a basket holds, in the order they were added; gone with the basket.
basket_vouchers = Table(
    "basket_vouchers",
    metadata,
    Column("basket_id", Integer, ForeignKey("baskets.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "code_id", Integer, ForeignKey("voucher_codes.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("added_at", DateTime(timezone=True), nullable=False),
)

# Uses of a promotion per customer ("user:<id>", "email:<address>"), counted by the order's
# transaction with a conditional update, so the per-customer limit holds under racing orders.
promotion_customer_uses = Table(
    "promotion_customer_uses",
    metadata,
    Column(
        "promotion_id",
        Integer,
        ForeignKey("promotions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("customer", String(270), primary_key=True),
    Column("uses", Integer, nullable=False),
)

# The promotions an order used, as they were (copies: a promotion changed or deleted later
# leaves the order alone).
order_discounts = Table(
    "order_discounts",
    metadata,
    Column("order_id", Integer, ForeignKey("orders.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("promotion_id", Integer, nullable=False),
    Column("code", String(40), nullable=False),  # "" when it applied by itself
    Column("name", String(120), nullable=False),
    Column("target", String(10), nullable=False),  # "items" or "delivery"
    Column("amount", BigInteger, nullable=False),
)

# Emails to send, written in the transaction that places the order, so an order never lacks its
# confirmation and a crash after the commit leaves it here to be sent later (see api/mail.py).
mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False),
    Column("kind", String(40), nullable=False),  # "order_confirmation"
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A worker claims a message before sending it; a claim older than a few minutes is stale.
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
)
Index("mail_outbox_unsent", mail_outbox.c.sent_at, mail_outbox.c.id)

# "Email me when it is back": a shopper's request for word when a sold-out variant returns. The
# row is also the outbox of its one email (api/mail.py): `due_at` is set in the transaction that
# brings the variant's stock back (api/back_in_stock.py), and the mail is claimed and sent like
# an order's. At most one request per email and variant is waiting at a time.
stock_alerts = Table(
    "stock_alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("variant_id", Integer, ForeignKey("variants.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("client_address", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("claimed_at", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
)
Index(
    "stock_alerts_waiting",
    stock_alerts.c.variant_id,
    stock_alerts.c.email,
    unique=True,
    sqlite_where=stock_alerts.c.sent_at.is_(None),
    postgresql_where=stock_alerts.c.sent_at.is_(None),
)
Index("stock_alerts_due", stock_alerts.c.due_at, stock_alerts.c.sent_at, stock_alerts.c.id)
Index("stock_alerts_address", stock_alerts.c.client_address, stock_alerts.c.created_at)
Index("stock_alerts_email", stock_alerts.c.email, stock_alerts.c.created_at)

# The API workers that are up, each writing its heartbeat every few seconds; fronts learn the
# workers' endpoints from here (through Operations/ListWorkers) and connect to new ones.
api_workers = Table(
    "api_workers",
    metadata,
    # The ZeroMQ endpoint fronts connect to: tcp://host:port.
    Column("endpoint", String(200), primary_key=True),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)

# Every charge asked of the payment gateway, recorded BEFORE the gateway is asked (state
# "charging"), keyed by the checkout's idempotency key and an attempt number (the gateway's own
# idempotency key is "<key>-<attempt>"). The order's transaction moves its charge to "placed";
# any failure moves it to "refunding" and, once the gateway has refunded it, "refunded". A row
# left "charging" or "charged" (the worker died between the charge and the commit) is finished by
# the shopper's retry with the same key, or refunded by the sweep (api/sweeps.py). Moves are
# conditional updates (`WHERE state = ...`), so two workers never both place and refund a charge.
charges = Table(
    "charges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("checkout_key", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("gateway_key", String(80), nullable=False, unique=True),
    Column("state", String(20), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference", String(100), nullable=False, default=""),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("charges_checkout", charges.c.checkout_key, charges.c.attempt)
Index("charges_open", charges.c.state, charges.c.updated_at)

# /readyz's write: each readiness check updates this one row in a transaction, so a database that
# answers reads but refuses writes (read-only file, read-only replica, full disk) is not ready.
readiness = Table(
    "readiness",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("worker", String(200), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)

# The test payment gateway's own records: it stands for a provider's servers, which every worker
# reaches, so they are shared through the database. A card is kept as its opaque token, brand,
# last four digits, expiry and the outcome its test number stands for, never the number.
test_gateway_cards = Table(
    "test_gateway_cards",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("brand", String(40), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("decline_message", String(200), nullable=False),  # "" approves
    Column("created_at", DateTime(timezone=True), nullable=False),
)
test_gateway_charges = Table(
    "test_gateway_charges",
    metadata,
    Column("idempotency_key", String(80), primary_key=True),
    Column("reference", String(64), nullable=False, unique=True),
    Column("token", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("approved", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("refunded_at", DateTime(timezone=True), nullable=True),
)


# Product reviews (api/reviews.py, docs/reviews.md). An account's review of a product it ordered
# (user_id set, one per product per account), or one imported from elsewhere (user_id NULL, as the
# demo shop's are): NULLs never collide in the unique constraint on either database.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    # A product deleted (not discontinued: an import's clean-up) takes its reviews with it.
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("author_name", String(100), nullable=False),  # as shown: "Ada L."
    Column("rating", Integer, nullable=False),
    Column("title", String(120), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", Integer, nullable=False),  # shop.v1.ReviewStatus
    Column("held_reason", String(200), nullable=False, default=""),
    Column("verified_buyer", Boolean, nullable=False),
    Column("helpful_count", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("product_id", "user_id", name="reviews_one_per_account"),
    CheckConstraint("rating BETWEEN 1 AND 5", name="reviews_rating_range"),
)
# A product page's three orders, each an index range of the product's published reviews.
Index(
    "reviews_newest",
    reviews.c.product_id,
    reviews.c.status,
    reviews.c.published_at,
    reviews.c.id,
)
Index(
    "reviews_helpful",
    reviews.c.product_id,
    reviews.c.status,
    reviews.c.helpful_count,
    reviews.c.published_at,
    reviews.c.id,
)
Index(
    "reviews_lowest",
    reviews.c.product_id,
    reviews.c.status,
    reviews.c.rating,
    reviews.c.published_at,
    reviews.c.id,
)
Index("reviews_queue", reviews.c.status, reviews.c.created_at)
Index("reviews_user", reviews.c.user_id)

# One "helpful" vote per account per review.
review_votes = Table(
    "review_votes",
    metadata,
    Column("review_id", Integer, ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("review_votes_user", review_votes.c.user_id)

# Review writes, edits, deletions and votes as the review limits count them (api/rate_limits.py):
# `account` and `client_address` are keys prefixed with what was done ("write:17").
review_actions = Table(
    "review_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account", String(40), nullable=False),
    Column("client_address", String(80), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("review_actions_account", review_actions.c.account, review_actions.c.at)
Index("review_actions_address", review_actions.c.client_address, review_actions.c.at)

# Each product's published reviews in figures, written in the transaction that publishes, edits,
# hides or deletes one of them: listings read the count and average with their product, never
# counting reviews. A product with no row has no published review.
product_ratings = Table(
    "product_ratings",
    metadata,
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("review_count", Integer, nullable=False),
    Column("rating_sum", Integer, nullable=False),
    Column("stars_1", Integer, nullable=False),
    Column("stars_2", Integer, nullable=False),
    Column("stars_3", Integer, nullable=False),
    Column("stars_4", Integer, nullable=False),
    Column("stars_5", Integer, nullable=False),
)


# Full-text search lives outside this metadata, since each database spells it its own way
# (migration 0003, api/fulltext.py): SQLite's FTS5 tables (and the shadow tables FTS5 makes
# for them), PostgreSQL's generated products.search_vector and the indexes over it and names
# (migrations 0003 and 0012).
SEARCH_INDEX_TABLES = ("products_fts", "products_trigram", "products_name_fts")
SEARCH_INDEX_NAMES = frozenset(
    {"search_vector", "products_search", "products_name_trigram", "products_name_search"}
)


def is_declared_here(name: str | None, type_: str, _parent_names: object = None) -> bool:
    """Alembic's include_name: False for the search objects migration 0003 makes by hand."""
    if name is None:
        return True
    if type_ == "table" and name.startswith(SEARCH_INDEX_TABLES):
        return False
    return name not in SEARCH_INDEX_NAMES
