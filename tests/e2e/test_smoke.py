"""The production build starts, serves its health check and renders in Chromium."""

import urllib.request

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_ping_answers(app_url: str) -> None:
    """The backend's /ping endpoint answers 200 on the app's single port."""
    with urllib.request.urlopen(f"{app_url}/ping", timeout=10) as response:
        assert response.status == 200


def test_home_page_shows_hms(page: Page) -> None:
    """The home page loads in Chromium and shows the product name."""
    page.goto("/")

    expect(page.get_by_text("HMS").first).to_be_visible()
