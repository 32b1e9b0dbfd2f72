"""BrowserSocket's JavaScript helpers, run in real Chromium: where the kernel's loopback is out of
reach (a page from a hub), the proxy URL it suggests, and the close-code field's parsing."""

from __future__ import annotations

import pytest
from netutil import static_site

from wslab.widgets.browser_socket import STATIC


@pytest.fixture(scope="module")
def module_page(browser):
    with static_site(STATIC) as origin:
        page = browser.new_page()
        page.goto(f"{origin}/browser_socket.css")  # any page of that origin, to import the module from
        yield page, f"{origin}/browser_socket.js"
        page.close()


def call(module_page, function: str, *args):
    page, url = module_page
    return page.evaluate("async ([url, name, args]) => (await import(url))[name](...args)", [url, function, list(args)])


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("[::1]", True),
        ("lab.localhost", True),
        ("10.0.0.7", False),
        ("hub.example.org", False),
        ("127.0.0.1.example.org", False),
    ],
)
def test_loopback_hosts(module_page, host, loopback):
    assert call(module_page, "isLoopback", host) is loopback


def test_a_page_on_loopback_reaches_the_kernel(module_page):
    result = call(module_page, "reachability", "http://127.0.0.1:8888/lab/tree/x.ipynb", "ws://127.0.0.1:40123/")
    assert result == {"ok": True, "text": "", "proxyUrl": ""}
    assert call(module_page, "reachability", "http://localhost:8888/lab", "ws://127.0.0.1:40123/")["ok"]


def test_a_hub_page_is_told_plainly_and_given_the_proxy_url(module_page):
    result = call(
        module_page,
        "reachability",
        "https://hub.example.org/user/ann/lab/tree/11.ipynb",
        "ws://127.0.0.1:40123/",
        "/user/ann/",
    )
    assert result["ok"] is False
    assert result["proxyUrl"] == "wss://hub.example.org/user/ann/proxy/40123/"
    assert "hub.example.org" in result["text"] and "cannot reach" in result["text"]
    assert "jupyter-server-proxy" in result["text"] and "docs/jupyter-server-proxy.md" in result["text"]


def test_a_server_elsewhere_is_left_to_the_browser(module_page):
    assert call(module_page, "reachability", "https://hub.example.org/lab", "wss://echo.example.net/")["ok"]


@pytest.mark.parametrize(
    "text, code, error",
    [
        ("", None, ""),
        (" 4000 ", 4000, ""),
        ("1001", 1001, ""),
        ("abc", None, 'close code: "abc" is not a whole number'),
        ("10.5", None, 'close code: "10.5" is not a whole number'),
    ],
)
def test_the_close_code_field(module_page, text, code, error):
    result = call(module_page, "parseCloseCode", text)
    assert (result.get("code"), result["error"]) == (code, error)
