"""Where a shopper is sent after logging in: a path on this site, whatever `next` says.

Each bypass below is one a browser would follow to another host (it drops tabs and newlines,
reads `\\` as `/`, and takes `//host` as a host), or a value no Location header can carry."""

from __future__ import annotations

import pytest

from web.local_redirect import local_target

DEFAULT = "/account"


@pytest.mark.parametrize(
    "target",
    [
        "/account/orders",
        "/basket",
        "/search?q=linen+shirt&page=2",
        "/c/shirts?colour=blue#top",
        "/%09/evil.example",  # an encoded tab stays in the path: the browser keeps it there
        "/%2F%2Fevil.example",
        "/https:evil.example",
    ],
)
def test_a_path_on_this_site_is_kept(target):
    assert local_target(target, DEFAULT) == target


@pytest.mark.parametrize(
    "target",
    [
        "",
        "//evil.example",
        "///evil.example",
        "/\t/evil.example",  # ?next=/%09/evil.example, as the front decodes it
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "/a\\b",
        "https:evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "evil.example",
        " /account",
        "/account ",
        "/acc ount",
        "/\x00",
        "/\x7f",
        "/account\x1b[2J",
        "/\u3002evil.example",  # ideographic full stop
        "/\uff0fevil.example",  # fullwidth solidus
        "/\u2215evil.example",  # division slash
        "/\u00a0/evil.example",  # no-break space
        "/\u200b/evil.example",  # zero-width space
        "/caf\u00e9",
        "/" + "a" * 2000,
    ],
)
def test_anything_else_goes_to_the_default(target):
    assert local_target(target, DEFAULT) == DEFAULT
