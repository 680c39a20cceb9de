"""Logging in and out in Chromium: messages, reloads, guards, the phone top bar."""

import re

import pytest
from playwright.sync_api import Page, expect

from hms.services.accounts import LOGIN_FAILED
from hms.states.auth import WRONG_ROLE_MESSAGE
from tests.e2e.helpers import (
    HOME_URL,
    PHONE_VIEWPORT,
    login,
    logout,
    seed_user,
    signup,
    unique,
    unique_email,
    url_of,
)

pytestmark = pytest.mark.e2e


def _toasts(page: Page, text: str):
    """The pop-up notices (Sonner toasts) on screen that say `text`."""
    return page.locator("[data-sonner-toast]").filter(has_text=text)


def test_login_wrong_password_shows_neutral_message(
    page: Page, app_env: dict[str, str]
) -> None:
    """A wrong password and an unknown email both get the same neutral alert."""
    _, email = seed_user(app_env, name=unique("Wren Patient"))

    login(page, email, "not the password at all")

    expect(page.locator("#alert")).to_have_text(LOGIN_FAILED)
    expect(page).to_have_url(url_of("/login"))
    expect(page.locator("#current-user-name")).to_have_count(0)

    login(page, unique_email("nobody"), "not the password at all")

    expect(page.locator("#alert")).to_have_text(LOGIN_FAILED)


def test_login_page_reload_stays_logged_in(page: Page, app_env: dict[str, str]) -> None:
    """After logging in, reloading the page keeps the user logged in."""
    name = unique("Rhea Patient")
    _, email = seed_user(app_env, name=name)

    login(page, email)
    page.wait_for_url(url_of("/doctors"))
    expect(page.locator("#current-user-name")).to_have_text(name)

    page.reload()

    expect(page).to_have_url(url_of("/doctors"))
    expect(page.locator("#current-user-name")).to_have_text(name)
    expect(page.locator("#current-user-role")).to_have_text("patient")
    expect(page.get_by_role("heading", name="Find a doctor")).to_be_visible()


def test_logout_returns_home_and_protects_pages(page: Page) -> None:
    """Log out goes to the start page; the pages behind login then send to /login."""
    signup(page, name=unique("Lou Patient"), email=unique_email("patient"))

    logout(page)

    expect(page.locator("#current-user-name")).to_have_count(0)
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    for protected in ("/appointments", "/doctors", "/profile"):
        page.goto(protected)
        page.wait_for_url(url_of("/login"))
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_open_availability_as_patient_redirects_away(
    page: Page, app_env: dict[str, str]
) -> None:
    """A patient who opens the doctors' /availability page lands on /doctors."""
    _, email = seed_user(app_env, name=unique("Pia Patient"))
    login(page, email)
    page.wait_for_url(url_of("/doctors"))

    page.goto("/availability")

    page.wait_for_url(url_of("/doctors"))
    expect(_toasts(page, WRONG_ROLE_MESSAGE).first).to_be_visible()
    expect(page.get_by_role("heading", name="Find a doctor")).to_be_visible()
    expect(page.locator("#add-slot")).to_have_count(0)


def test_open_availability_as_patient_warns_once(
    page: Page, app_env: dict[str, str]
) -> None:
    """The wrong-role redirect says so in one toast, and leaves no alert behind."""
    seed_user(app_env, name=unique("Dr Once"), role="doctor", specialty="Surgery")
    _, email = seed_user(app_env, name=unique("Ona Patient"))
    login(page, email)
    page.wait_for_url(url_of("/doctors"))
    expect(page.locator(".doctor-card").first).to_be_visible()

    page.goto("/availability")

    page.wait_for_url(url_of("/doctors"))
    # One more round trip: events run in order, so /availability's are done after.
    page.fill("#name-filter", unique("no such doctor"))
    expect(page.get_by_text("No doctors match.")).to_be_visible()
    expect(page.locator("#alert")).to_have_count(0)
    shown = _toasts(page, WRONG_ROLE_MESSAGE).count()
    assert shown == 1, f"the wrong-role notice popped up {shown} times, not once"


def test_top_bar_on_phone_shows_menu(new_page, app_env: dict[str, str]) -> None:
    """At 390px wide the top bar folds into #menu, which holds the user and Log out."""
    name = unique("Mo Patient")
    _, email = seed_user(app_env, name=name)
    phone = new_page(viewport=PHONE_VIEWPORT)
    login(phone, email)
    phone.wait_for_url(url_of("/doctors"))

    expect(phone.locator("#menu")).to_be_visible()
    expect(phone.locator("#logout")).to_be_hidden()

    phone.click("#menu")
    menu = phone.get_by_role("menu")
    expect(menu.locator("#current-user-name")).to_have_text(name)
    expect(menu.get_by_role("menuitem", name="Appointments")).to_be_visible()
    menu.get_by_role("menuitem", name="Log out").click()

    phone.wait_for_url(HOME_URL)
    expect(phone.locator("#menu")).to_have_count(0)
    expect(phone.get_by_role("link", name="Log in").first).to_be_visible()


def test_unknown_address_shows_not_found_in_layout(page):
    """A wrong address shows the HMS top bar and a way back, not a bare error."""
    page.goto("/no-such-page")

    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.locator("#brand")).to_be_visible()
    page.get_by_role("button", name="Go to the start page").click()
    expect(page).to_have_url(re.compile(r"/$"))
