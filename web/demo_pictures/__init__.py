"""Generated illustrations of the demo catalogue's products and banners (SVG)."""

from web.demo_pictures.render import UnknownPicture, banner_picture, product_picture

__all__ = ["UnknownPicture", "banner_picture", "product_picture"]
