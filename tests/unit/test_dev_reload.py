"""`make dev`: in debug mode an edited template shows on the next render, an edited stylesheet is
rebuilt into a new hashed file, and the application asks Tornado to restart on Python changes."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from api_client import ApiClient
from vitrine.config import Settings
from web import assets
from web.app import make_app
from web.assets import Assets
from web.templating import make_environment


def touch_later(path: Path, text: str) -> None:
    """Rewrite a file with an mtime clearly after the previous one (coarse file systems)."""
    path.write_text(text)
    later = time.time() + 2
    os.utime(path, (later, later))


def test_an_edited_template_shows_on_the_next_render_in_debug_mode(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<p>before</p>")
    env = make_environment("en_IE", lambda _name: [], directory=tmp_path, auto_reload=True)
    assert env.get_template("page.html").render() == "<p>before</p>"
    touch_later(page, "<p>after</p>")
    assert env.get_template("page.html").render() == "<p>after</p>"


def test_an_edited_stylesheet_is_rebuilt_under_a_new_hash_in_debug_mode(tmp_path, monkeypatch):
    sources = tmp_path / "assets"
    shutil.copytree(assets.ASSETS_DIR, sources)
    monkeypatch.setattr(assets, "ASSETS_DIR", sources)
    built = Assets(Settings(debug=True, static_dir=tmp_path / "static"))
    [before] = built.urls("css")
    stylesheet = sources / "css" / "site.css"
    touch_later(stylesheet, stylesheet.read_text() + "\n.made-in-dev { color: red }\n")
    [after] = built.urls("css")
    assert after != before
    assert ".made-in-dev{color:red}" in (tmp_path / "static" / after.rsplit("/", 1)[1]).read_text()


@pytest.mark.parametrize("debug", [True, False])
def test_tornado_restarts_the_process_on_python_changes_only_in_debug_mode(tmp_path, debug):
    settings = Settings(debug=debug, static_dir=tmp_path / "static")
    # The client opens no socket until its first call.
    app = make_app(settings, ApiClient.from_settings(settings))
    assert app.settings.get("autoreload", False) is debug
    assert app.templates.auto_reload is debug
