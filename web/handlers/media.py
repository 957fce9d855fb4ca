"""Static files: built assets with far-future caching, and the demo catalogue's generated images."""

from __future__ import annotations

import tornado.web

from web.demo_pictures import UnknownPicture, banner_picture, product_picture

# Hashed file names change with their content, so a browser may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
BRAND_FILE_MAX_AGE = 86400
# A picture's name says all it shows, so its answer only changes when the drawings do: a month,
# then a revalidation that Tornado's ETag answers 304 when nothing changed.
DEMO_IMAGE_CACHE = "public, max-age=2592000, stale-while-revalidate=86400"


class AssetHandler(tornado.web.StaticFileHandler):
    def parse_url_path(self, url_path: str) -> str:
        # No file name holds a NUL, and the operating system refuses to look one up (a 500).
        if "\x00" in url_path:
            raise tornado.web.HTTPError(400, reason="Bad file name")
        return super().parse_url_path(url_path)

    def set_extra_headers(self, path: str) -> None:  # noqa: ARG002 - every asset alike
        self.set_header("Cache-Control", IMMUTABLE)


class BrandFileHandler(tornado.web.StaticFileHandler):
    """The shop's logo (assets/brand/), under a name that crawlers and structured data keep:
    not hashed, so cached for a day rather than for ever."""

    def set_extra_headers(self, path: str) -> None:  # noqa: ARG002 - every file alike
        self.set_header("Cache-Control", f"public, max-age={BRAND_FILE_MAX_AGE}")


class DemoImageHandler(tornado.web.RequestHandler):
    """Product and banner pictures of the generated demo catalogue, drawn from their names
    (web/demo_pictures): a navy cardigan's front, a banner of boots in the snow."""

    def get(self, kind: str, name: str) -> None:
        try:
            svg = banner_picture(name) if kind == "banners" else product_picture(name)
        except UnknownPicture:
            raise tornado.web.HTTPError(404, reason="No such picture") from None
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", DEMO_IMAGE_CACHE)
        self.finish(svg)
