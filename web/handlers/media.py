"""Static files: built assets with far-future caching, and the demo catalogue's generated images."""

from __future__ import annotations

import hashlib

import tornado.web

# Hashed file names change with their content, so a browser may keep them for a year.
IMMUTABLE = "public, max-age=31536000, immutable"
DEMO_IMAGE_MAX_AGE = 86400


class AssetHandler(tornado.web.StaticFileHandler):
    def parse_url_path(self, url_path: str) -> str:
        # No file name holds a NUL, and the operating system refuses to look one up (a 500).
        if "\x00" in url_path:
            raise tornado.web.HTTPError(400, reason="Bad file name")
        return super().parse_url_path(url_path)

    def set_extra_headers(self, path: str) -> None:  # noqa: ARG002 - every asset alike
        self.set_header("Cache-Control", IMMUTABLE)


class DemoImageHandler(tornado.web.RequestHandler):
    """Product and banner pictures for the generated demo catalogue: a calm colour field and a
    simple shape, derived from the image's name, so every image is different and stable."""

    def get(self, kind: str, key: str) -> None:
        digest = hashlib.sha256(f"{kind}/{key}".encode()).digest()
        hue, accent = digest[0] * 360 // 256, digest[1] * 360 // 256
        width, height = (1200, 400) if kind == "banners" else (800, 800)
        shape = digest[2] % 3
        if shape == 0:
            figure = f'<circle cx="{width // 2}" cy="{height // 2}" r="{height // 3}"'
        elif shape == 1:
            figure = (
                f'<rect x="{width // 2 - height // 4}" y="{height // 4}" '
                f'width="{height // 2}" height="{height // 2}" rx="24"'
            )
        else:
            figure = (
                f'<path d="M{width // 2} {height // 5} L{width // 2 + height // 3} '
                f'{height * 4 // 5} L{width // 2 - height // 3} {height * 4 // 5} Z"'
            )
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img">'
            f'<rect width="{width}" height="{height}" fill="hsl({hue},35%,88%)"/>'
            f'{figure} fill="hsl({accent},45%,45%)" opacity=".85"/></svg>'
        )
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", f"public, max-age={DEMO_IMAGE_MAX_AGE}")
        self.finish(svg)
