"""Small helpers for tests that read pages as a person would: by their structure."""

from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    return BeautifulSoup(response.text, "html.parser")


def chain_labels(page: BeautifulSoup) -> list[str]:
    return [li.select_one("a.label").get_text(strip=True) for li in page.select("ol.chain > li")]


def texts(nodes) -> list[str]:
    return [n.get_text(" ", strip=True) for n in nodes]
