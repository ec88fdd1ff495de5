"""Point in time: ?as_of= a date or a session, and its form on the organization page."""

import datetime as dt

import pytest

from app.web import urls
from app.chains.timepoint import BadAsOf, parse_as_of
from tests.helpers import chain_labels, soup


def test_parse_as_of():
    assert parse_as_of(None) is None and parse_as_of("  ") is None
    assert parse_as_of("2015-01-01").date == dt.date(2015, 1, 1)
    assert parse_as_of("2015-01-01").session is None
    for raw in ("69", "第69届", "第６９届会议", "69th"):
        point = parse_as_of(raw)
        assert point.session == 69 and point.date == dt.date(2015, 8, 31), raw
    for raw in ("foo", "2015-13-01", "0", "500", "69/48", "-3"):
        with pytest.raises(BadAsOf):
            parse_as_of(raw)


def test_chain_as_of_a_session(read_session, read_client):
    page = soup(read_client.get(urls.organization("SCO", as_of="69")))
    labels = chain_labels(page)
    assert labels[0] == "A/RES/59/48" and labels[-1] == "A/RES/69/11"
    assert "A/RES/71/14" not in labels and "A/77/L.107" not in labels
    form = page.select_one("form.as-of")
    assert form["method"] == "get" and form["action"] == urls.organization("SCO")
    assert form.select_one('input[name="as_of"]')["value"] == "69"
    assert "69" in page.select_one("p.as-of-note").get_text()
    assert page.select_one("p.as-of-note a")["href"] == urls.organization("SCO")


def test_chain_as_of_a_date_still_works(read_session, read_client):
    labels = chain_labels(soup(read_client.get(urls.organization("SCO", as_of="2010-01-01"))))
    assert labels[-1] == "A/RES/64/183"
    assert chain_labels(soup(read_client.get(urls.organization("SCO", as_of="64")))) == labels


def test_whole_chain_without_as_of(read_session, read_client):
    page = soup(read_client.get(urls.organization("SCO")))
    assert chain_labels(page)[-1] == "A/79/L.124"  # known from a public source
    assert page.select_one('form.as-of input[name="as_of"]')["value"] == ""
    assert page.select_one("p.as-of-note") is None


@pytest.mark.parametrize("bad", ["foo", "2015-02-30", "0", "1000", "x" * 41])
def test_bad_as_of_is_a_clear_4xx(read_session, read_client, bad):
    r = read_client.get(urls.organization("SCO", as_of=bad))
    assert 400 <= r.status_code < 500
    assert "as_of" in soup(r).select_one("p.message").get_text()


def test_htmx_gets_the_chain_fragment_as_of(read_session, read_client):
    r = read_client.get(urls.organization("CSTO", as_of="65"), headers={"HX-Request": "true"})
    page = soup(r)
    assert page.select_one("html") is None
    assert chain_labels(page)[-1] == "A/RES/65/122"
