"""The template preview at /_preview/ (debug mode only): every page template, rendered with each
of its fixtures through the same Jinja environment and page frame as the live site."""

from __future__ import annotations

from web.fixtures import FixtureError, fixture_names, load_fixture
from web.handlers.base import BaseHandler, PageError
from web.templating import declared_reads, page_templates


class PreviewIndexHandler(BaseHandler):
    def get(self) -> None:
        templates = self.application.templates
        pages = [
            {
                "template": name,
                "fixtures": fixture_names(name, self.application.templates_dir),
                "reads": sorted(declared_reads(templates.loader.get_source(templates, name)[0]))
                if templates.loader
                else [],
            }
            for name in page_templates(templates)
        ]
        self.render_page("debug/preview_index.html", pages=pages)


class PreviewPageHandler(BaseHandler):
    """/_preview/<template>?fixture=<name>; the first fixture when none is named."""

    def get(self, template: str) -> None:
        if template not in page_templates(self.application.templates):
            raise PageError(404, f"There is no page template {template!r}.")
        names = fixture_names(template, self.application.templates_dir)
        name = self.get_query_argument("fixture", names[0] if names else "")
        try:
            context = load_fixture(template, name, self.application.templates_dir)
        except FixtureError as error:
            raise PageError(404, str(error)) from error
        self.set_header("X-Robots-Tag", "noindex")
        self.render_page(template, **context)
