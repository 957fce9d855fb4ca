"""schema.org JSON-LD for crawlers, built from the API's protobuf messages: products with their
offers (with the shop's delivery and returns), breadcrumbs, category item lists, help pages,
and the shop itself (on the home page and the contact page)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import orjson
from babel.numbers import get_currency_precision
from markupsafe import Markup

from vitrine.urls import category_url, help_path, product_url

SCHEMA = "https://schema.org"
SITE_NAME = "Vitrine"
IN_STOCK = f"{SCHEMA}/InStock"
OUT_OF_STOCK = f"{SCHEMA}/OutOfStock"
DISCONTINUED = f"{SCHEMA}/Discontinued"
NEW_CONDITION = f"{SCHEMA}/NewCondition"
LOGO_PATH = "/media/brand/logo.svg"
# Orders placed before the cut-off leave the same day: handling takes 0 to handling_days days.
DAY = "DAY"


def json_ld(data: dict[str, Any]) -> Markup:
    """A <script type="application/ld+json"> element holding `data`, safe inside HTML."""
    # Inside <script>, "</script>" or "<!--" in a product name would end or confuse the
    # element: these characters are written as JSON escapes, which parse to the same text.
    # (str.replace, not str.translate with a table: translate looks every character up in
    # the table, and a product's JSON-LD holding one non-ASCII character took it 0.3 ms.)
    # orjson: a product's 9 KB in ~10 µs where the standard library's encoder took 65, on every
    # product page a front renders; the same text (compact, UTF-8, keys in their order).
    text = (
        orjson.dumps(data)
        .decode()
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return Markup(f'<script type="application/ld+json">{text}</script>')  # noqa: S704 - escaped above


def decimal_price(money: Any) -> str:
    """A shop.v1.Money as schema.org wants a price: "12.99", never a float."""
    minor = Decimal(money.amount).scaleb(-get_currency_precision(money.currency))
    return str(minor)


def _review(review: Any) -> dict[str, Any]:
    """A published shop.v1.Review as schema.org's Review, with what Google's review snippets
    require: the author's name, the rating and the date it was published."""
    return {
        "@type": "Review",
        "author": {"@type": "Person", "name": review.author_name},
        "datePublished": review.published_at.ToDatetime().date().isoformat(),
        "name": review.title,
        "reviewBody": review.text,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": review.rating,
            "bestRating": 5,
            "worstRating": 1,
        },
    }


class StructuredData:
    """The JSON-LD of each page kind; templates call it with the messages they already hold."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/")

    def absolute(self, url: str) -> str:
        return self.base + url if url.startswith("/") else url

    def product(self, product: Any, policies: Any = None, reviews: Any = None) -> Markup:
        """The product and its offers; with the shop's `policies` (shop.v1.ShopPolicies), the
        offer says what delivery costs and how returns work, as the help pages do. `reviews`:
        the page's shop.v1.ListReviewsResponse, or None when it has none; its figures and the
        reviews shown become aggregateRating and review, only when some are published (Google's
        review snippets: docs/seo.md)."""
        url = self.absolute(product_url(product))
        data: dict[str, Any] = {
            "@context": SCHEMA,
            "@type": "Product",
            "name": product.name,
            "description": product.description,
            "sku": product.sku,
            "brand": {"@type": "Brand", "name": product.brand},
            "image": [self.absolute(image.url) for image in product.images],
            "url": url,
            "offers": self._offers(product, url),
        }
        if policies is not None:
            # Variants share the product's price, delivery and returns: said once, on the
            # offer that covers them all.
            data["offers"]["shippingDetails"] = self.shipping_details(policies, product.price)
            data["offers"]["hasMerchantReturnPolicy"] = self.return_policy(policies)
        if reviews is not None and reviews.summary.review_count:
            data["aggregateRating"] = {
                "@type": "AggregateRating",
                "ratingValue": f"{reviews.summary.average_tenths / 10:.1f}",
                "reviewCount": reviews.summary.review_count,
                "bestRating": 5,
                "worstRating": 1,
            }
            data["review"] = [_review(review) for review in reviews.reviews]
        return json_ld(data)

    def _offers(self, product: Any, url: str) -> dict[str, Any]:
        # The price charged now: during a sale, the sale price, valid until the sale ends.
        # Worked out once: every variant's offer says the same.
        price = decimal_price(product.price)
        currency = product.price.currency
        valid_until = None
        if product.sale.HasField("ends_at"):
            # The sale's end is exclusive: its price holds until the moment before.
            last = product.sale.ends_at.ToDatetime() - timedelta(seconds=1)
            valid_until = last.date().isoformat()

        def offer(availability: str, sku: str) -> dict[str, Any]:
            data = {
                "@type": "Offer",
                "sku": sku,
                "price": price,
                "priceCurrency": currency,
                "availability": availability,
                "itemCondition": NEW_CONDITION,
                "url": url,
            }
            if valid_until is not None:
                data["priceValidUntil"] = valid_until
            return data

        def availability(in_stock: bool) -> str:
            if product.discontinued:
                return DISCONTINUED
            return IN_STOCK if in_stock else OUT_OF_STOCK

        variants = list(product.variants)
        if len(variants) <= 1:
            return offer(availability(any(v.stock for v in variants)), product.sku)
        # Variants share the product's price today; the aggregate still says low and high so a
        # per-variant price can come without changing what crawlers read.
        offers = [offer(availability(v.stock > 0), v.sku) for v in variants]
        return {
            "@type": "AggregateOffer",
            # By amount, not as text ("9.99" sorts after "10.00").
            "lowPrice": min((o["price"] for o in offers), key=Decimal),
            "highPrice": max((o["price"] for o in offers), key=Decimal),
            "priceCurrency": product.price.currency,
            "offerCount": len(offers),
            "availability": availability(any(v.stock for v in variants)),
            "itemCondition": NEW_CONDITION,
            "url": url,
            "offers": offers,
        }

    def shipping_details(self, policies: Any, price: Any) -> list[dict[str, Any]]:
        """Each delivery option for an order of this one item: its cost (nothing when the item
        alone reaches the option's free-delivery amount), where it goes and how long it takes."""
        details = []
        for option in policies.shipping:
            free = option.HasField("free_from") and price.amount >= option.free_from.amount
            countries = list(option.countries) or list(policies.countries)
            details.append(
                {
                    "@type": "OfferShippingDetails",
                    "@id": self.base + help_path("delivery") + f"#{option.code}",
                    "name": option.label,
                    "shippingRate": {
                        "@type": "MonetaryAmount",
                        "value": "0" if free else decimal_price(option.price),
                        "currency": option.price.currency,
                    },
                    "shippingDestination": [
                        {"@type": "DefinedRegion", "addressCountry": code} for code in countries
                    ],
                    "deliveryTime": {
                        "@type": "ShippingDeliveryTime",
                        "handlingTime": _days(0, policies.handling_days),
                        "transitTime": _days(option.min_days, option.max_days),
                    },
                }
            )
        return details

    def return_policy(self, policies: Any) -> dict[str, Any]:
        returns = policies.returns
        fees = "FreeReturn" if returns.free else "ReturnFeesCustomerResponsibility"
        return {
            "@type": "MerchantReturnPolicy",
            "@id": self.base + help_path("returns") + "#policy",
            "applicableCountry": list(returns.countries),
            "returnPolicyCategory": f"{SCHEMA}/MerchantReturnFiniteReturnWindow",
            "merchantReturnDays": returns.days,
            "returnMethod": f"{SCHEMA}/ReturnByMail",
            "returnFees": f"{SCHEMA}/{fees}",
            "merchantReturnLink": self.base + help_path("returns"),
        }

    def organization(self, policies: Any = None) -> dict[str, Any]:
        """The shop; with its `policies`, how to reach it and its returns policy."""
        data: dict[str, Any] = {
            "@context": SCHEMA,
            "@type": "Organization",
            "@id": self.base + "/#organization",
            "name": SITE_NAME,
            "url": self.base + "/",
            "logo": self.base + LOGO_PATH,
        }
        if policies is None:
            return data
        contact = policies.contact
        hours = [
            {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": [f"{SCHEMA}/{day}" for day in h.days],
                "opens": h.opens,
                "closes": h.closes,
            }
            for h in contact.hours
        ]
        data |= {
            "legalName": contact.legal_name,
            "email": contact.email,
            "telephone": contact.telephone,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": contact.street,
                "addressLocality": contact.city,
                "postalCode": contact.postcode,
                "addressCountry": contact.country,
            },
            "contactPoint": {
                "@type": "ContactPoint",
                "contactType": "customer service",
                "email": contact.email,
                "telephone": contact.telephone,
                "areaServed": list(policies.countries),
                "availableLanguage": ["English"],
                "hoursAvailable": hours,
            },
            "hasMerchantReturnPolicy": self.return_policy(policies),
        }
        return data

    def help_page(self, page: Any, policies: Any = None) -> Markup:
        """A help page as a WebPage (the contact page as a ContactPage, with the shop and how
        to reach it), and its place under the home page."""
        url = self.base + help_path(page.slug)
        kind = "ContactPage" if page.slug == "contact" else "WebPage"
        data = {
            "@context": SCHEMA,
            "@type": kind,
            "name": page.title,
            "description": page.description,
            "url": url,
            "dateModified": page.updated_at.ToDatetime().date().isoformat(),
            "publisher": {"@id": self.base + "/#organization"},
        }
        crumbs = {
            "@context": SCHEMA,
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": self.base + "/"},
                {"@type": "ListItem", "position": 2, "name": page.title, "item": url},
            ],
        }
        shop = json_ld(self.organization(policies)) if page.slug in {"contact", "returns"} else ""
        return json_ld(data) + json_ld(crumbs) + shop

    def breadcrumbs(self, crumbs: Any, current: Any = None) -> Markup:
        """Home, the categories, and the product itself when `current` is one."""
        trail = [("Home", "/")] + [(crumb.name, category_url(crumb)) for crumb in crumbs]
        if current is not None:
            trail.append((current.name, product_url(current)))
        return json_ld(
            {
                "@context": SCHEMA,
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {
                        "@type": "ListItem",
                        "position": position,
                        "name": name,
                        "item": self.absolute(url),
                    }
                    for position, (name, url) in enumerate(trail, start=1)
                ],
            }
        )

    def item_list(self, listing: Any) -> Markup:
        """A category page's products, numbered across pages."""
        first = (listing.page.page - 1) * listing.page.page_size
        return json_ld(
            {
                "@context": SCHEMA,
                "@type": "ItemList",
                "name": listing.category.name,
                "numberOfItems": listing.page.total_items,
                "itemListElement": [
                    {
                        "@type": "ListItem",
                        "position": first + index,
                        "url": self.absolute(product_url(item)),
                        "name": item.name,
                    }
                    for index, item in enumerate(listing.products, start=1)
                ],
            }
        )

    def home(self, policies: Any = None) -> Markup:
        """The shop as an Organization, and the WebSite with its search for a sitelinks box."""
        organization = self.organization(policies)
        website = {
            "@context": SCHEMA,
            "@type": "WebSite",
            "name": SITE_NAME,
            "url": self.base + "/",
            "potentialAction": {
                "@type": "SearchAction",
                "target": {
                    "@type": "EntryPoint",
                    "urlTemplate": self.base + "/search?q={search_term_string}",
                },
                "query-input": "required name=search_term_string",
            },
        }
        return json_ld(organization) + json_ld(website)


def _days(low: int, high: int) -> dict[str, Any]:
    return {"@type": "QuantitativeValue", "minValue": low, "maxValue": high, "unitCode": DAY}
