import time
from playwright.sync_api import expect
from tests.e2e.helpers import *

def show(p, label):
    for i in range(4):
        print(label, i, p.locator("[data-sonner-toast]").all_inner_texts(), p.locator("#alert").all_inner_texts(), p.locator(".doctor-card, .empty-state").count(), p.url)
        time.sleep(0.5)

def test_scratch(page, app_env, new_page):
    _, email = seed_user(app_env, name=unique("Pia Patient"))
    login(page, email)
    page.wait_for_url(url_of("/doctors"))
    expect(page.locator(".doctor-card, .empty-state").first).to_be_visible()
    tab = page.context.new_page()
    tab.goto("/availability")
    tab.wait_for_url(url_of("/doctors"))
    show(tab, "newtab-early")
    expect(tab.locator(".doctor-card, .empty-state").first).to_be_visible()
    show(tab, "newtab")
