"""CPU per render of page templates, in process, with each template's fixtures; and, with
`--base <commit>`, the same templates of an earlier commit side by side.

    .venv/bin/python bench/render.py [--base <commit>] [--rounds 10] [--renders 20]
        [--templates product/detail.html,catalog/category.html,landing/home.html | all] [--diff]

No server, no API, no database: each tree's Jinja environment (web/templating.py) renders the
template with every fixture beside it (templates/<family>/<name>.fixtures/*.json, loaded by
web/fixtures.py), each fixture `--renders` times per block. A fixture holds the page frame's
variables too (nav, basket...), so it is what the handler renders. Each tree renders in a
process of its own (the earlier commit exported with `git archive`, its protobuf modules
generated, as bench/compare.py does), and the two take turns block by block, the first to go
alternating, so a noisy moment on the shared machine hits both. The figure is the median,
over rounds, of after/before in CPU time of neighbouring blocks; µs per render is CPU time per
render, averaged over a template's fixtures. The HTML of both trees is compared per fixture:
what a change to rendering must keep the same.

Renders repeat the same few fixtures, so a cache keyed by one product's replies would flatter
the figures: only shop-wide pieces (the category tree, the policies) may be kept between renders,
and texts every page shares (prices, dates, link parameters), whose caches here hit more often
than on a front serving the whole catalogue.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_TEMPLATES = "product/detail.html,catalog/category.html,landing/home.html"
# What BaseHandler.frame() supplies when a page does not: a fixture normally has them all.
FRAME_DEFAULTS: dict[str, Any] = {
    "nav": None,
    "basket": None,
    "account": None,
    "search_query": "",
    "canonical_path": "/",
}


class Renderer:
    """The child process's side: a tree's environment and fixtures, rendering on request."""

    def __init__(self) -> None:
        # Imported here, once main() has put the tree to measure first on sys.path.
        from web.fixtures import fixture_names, load_fixture  # noqa: PLC0415
        from web.templating import make_environment  # noqa: PLC0415

        self.env = make_environment("en_IE", lambda name: [f"/static/site.bench.{name}"])
        self.fixture_names = fixture_names
        self.load_fixture = load_fixture
        self.contexts: dict[str, dict[str, dict[str, Any]]] = {}

    def fixtures(self, template: str) -> dict[str, dict[str, Any]]:
        if template not in self.contexts:
            self.contexts[template] = {
                name: {**FRAME_DEFAULTS, **self.load_fixture(template, name)}
                for name in self.fixture_names(template)
            }
        return self.contexts[template]

    def block(self, template: str, renders: int) -> dict[str, Any]:
        """CPU seconds to render every fixture of `template` `renders` times."""
        page = self.env.get_template(template)
        contexts = list(self.fixtures(template).values())
        gc.collect()
        started = time.process_time()
        for context in contexts:
            for _ in range(renders):
                page.render(context)
        return {"cpu": time.process_time() - started, "renders": renders * len(contexts)}

    def html(self, template: str) -> dict[str, str]:
        page = self.env.get_template(template)
        return {name: page.render(context) for name, context in self.fixtures(template).items()}

    def serve(self) -> None:
        """One JSON request a line on stdin, one JSON answer a line on stdout."""
        for line in sys.stdin:
            request = json.loads(line)
            if request["do"] == "block":
                answer: Any = self.block(request["template"], request["renders"])
            else:
                answer = self.html(request["template"])
            print(json.dumps(answer), flush=True)


class Tree:
    """The parent's side: a child process rendering with the code of `code`."""

    def __init__(self, label: str, code: Path) -> None:
        self.label = label
        # cwd first on sys.path (as `python -m` would), so `web` is this tree's, not the
        # editable install's.
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(code)],
            cwd=code,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, **request: Any) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.label} renderer exited with {self.process.wait()}")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def every_page() -> list[str]:
    """Every template with fixtures: the pages."""
    folders = (ROOT / "templates").glob("*/*.fixtures")
    return sorted(
        str(folder.relative_to(ROOT / "templates").with_suffix(".html")) for folder in folders
    )


def export(commit: str, into: Path) -> Path:
    """The tree at `commit` with its protobuf modules (bench/compare.py's export)."""
    sys.path.insert(0, str(BENCH))
    # Not at the top: compare.py imports this tree's `vitrine` (through stack.py), which a
    # renderer of another tree must not.
    from compare import export as export_tree  # noqa: PLC0415

    return export_tree(commit, into)


def short(commit: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", commit],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def compare_html(before: Tree, after: Tree, template: str, show: bool) -> str:
    """How many fixtures render differently; with `show`, the first difference as a diff."""
    old, new = before.ask(do="html", template=template), after.ask(do="html", template=template)
    differ = [name for name in new if old.get(name) != new[name]]
    if show and differ:
        name = differ[0]
        diff = difflib.unified_diff(
            old.get(name, "").splitlines(),
            new[name].splitlines(),
            f"{before.label}/{name}",
            f"{after.label}/{name}",
            lineterm="",
            n=1,
        )
        print("\n".join(list(diff)[:80]))
    if not differ:
        return "identical"
    return f"{len(differ)} of {len(new)} differ ({', '.join(differ)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", help="the commit to compare against")
    parser.add_argument(
        "--templates", default=DEFAULT_TEMPLATES, help="comma-separated, or all: every page's"
    )
    parser.add_argument("--rounds", type=int, default=10, help="blocks of each template, each tree")
    parser.add_argument("--renders", type=int, default=20, help="renders of each fixture a block")
    parser.add_argument("--diff", action="store_true", help="show the first HTML difference")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        sys.path.insert(0, args.serve)
        Renderer().serve()
        return 0
    templates = args.templates.split(",") if args.templates != "all" else every_page()
    with tempfile.TemporaryDirectory() as tmp:
        trees = [Tree("this tree", ROOT)]
        if args.base:
            trees.insert(0, Tree(short(args.base), export(args.base, Path(tmp))))
        try:
            run(trees, templates, args)
        finally:
            for tree in trees:
                tree.close()
    return 0


def run(trees: list[Tree], templates: list[str], args: argparse.Namespace) -> None:
    cpu: dict[tuple[str, str], list[float]] = {}
    for template in templates:
        for tree in trees:  # unrecorded: compiles the template, loads the fixtures
            tree.ask(do="block", template=template, renders=1)
    for round_number in range(args.rounds):
        order = trees if round_number % 2 == 0 else trees[::-1]
        for template in templates:
            for tree in order:
                block = tree.ask(do="block", template=template, renders=args.renders)
                per_render = block["cpu"] / block["renders"]
                cpu.setdefault((tree.label, template), []).append(per_render)
    header = "| template | " + " | ".join(f"{tree.label} µs/render" for tree in trees)
    if len(trees) == 2:
        header += " | after/before | HTML"
    print(header + " |")
    print("|---" * (header.count("|")) + "|")
    for template in templates:
        cells = [f"{statistics.median(cpu[(tree.label, template)]) * 1e6:.0f}" for tree in trees]
        if len(trees) == 2:
            before, after = (cpu[(tree.label, template)] for tree in trees)
            ratios = [new / old for old, new in zip(before, after, strict=True)]
            cells.append(f"{statistics.median(ratios):.3f}")
            cells.append(compare_html(trees[0], trees[1], template, args.diff))
        print(f"| {template} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
