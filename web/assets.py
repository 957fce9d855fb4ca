"""CSS and JS bundles: minified (rcssmin, rjsmin) into content-hashed files under /static/.

In debug mode a bundle is rebuilt when its sources change; otherwise bundles are built once at
start-up and their URLs kept.
"""

from __future__ import annotations

from webassets import Bundle, Environment

from vitrine.config import PROJECT_ROOT, Settings

ASSETS_DIR = PROJECT_ROOT / "assets"
STATIC_URL = "/static"
# name -> (sources, filter, output); the output's %(version)s is the content hash.
BUNDLES = {
    # tokens.css first: site.css reads its custom properties (docs/templates.md, "The theme").
    "css": (["css/tokens.css", "css/site.css"], "rcssmin", "site.%(version)s.css"),
    "js": (["js/site.js", "js/vouchers.js"], "rjsmin", "site.%(version)s.js"),
}


class Assets:
    def __init__(self, settings: Settings) -> None:
        settings.static_dir.mkdir(parents=True, exist_ok=True)
        self.directory = settings.static_dir
        self.env = Environment(directory=str(settings.static_dir), url=STATIC_URL)
        self.env.load_path = [str(ASSETS_DIR)]
        self.env.versions = "hash"
        self.env.manifest = f"json:{settings.static_dir / 'manifest.json'}"
        self.env.url_expire = False
        self.env.auto_build = True
        for name, (sources, filters, output) in BUNDLES.items():
            self.env.register(name, Bundle(*sources, filters=filters, output=output))
        self._debug = settings.debug
        # Builds what changed since the last build; later calls are lookups.
        self._urls = {name: self.env[name].urls() for name in BUNDLES}

    def urls(self, name: str) -> list[str]:
        return self.env[name].urls() if self._debug else self._urls[name]
