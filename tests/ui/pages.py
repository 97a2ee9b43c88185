#!/usr/bin/python3
# SPDX-License-Identifier: EUPL-1.2
"""What users see: every page of idmd in headless Chromium (Debian's
chromium + chromium-driver, python3-selenium), German and English, at
desktop and phone width. Each page is screenshotted into OUTDIR, checked
by axe-core (WCAG 2.1 A/AA rules: no violation allowed) and for its
language: the html lang attribute, the expected words, and none of the
other language's interface words.

usage: pages.py BASE_URL OUTDIR AXE_JS LOGIN:PASSWORD [LOGIN:PASSWORD ...]
One account per (language, width) run, four in all; a fifth, if given, may
use no application: each run also shows its portal ("portal-empty").
Prints one TAP line per check; exit status 1 if any failed.
"""
import json
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

BASE, OUT, AXE = sys.argv[1], sys.argv[2], sys.argv[3]
ACCOUNTS = [a.split(":", 1) for a in sys.argv[4:]]
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
# Words that identify a page's language; a German page must show none of
# the English ones and the other way round.
WORDS = {
    "de": {"login": "Anmelden", "password": "Passwort ändern",
           "logout": "Abmelden", "logged_out": "Abgemeldet", "error": "Seite",
           "rejected": "fehlerhafte Nachricht",
           "no_apps": "keine Anwendung freigegeben"},
    "en": {"login": "Log in", "password": "Change password",
           "logout": "Log out", "logged_out": "Logged out", "error": "page",
           "rejected": "could not be processed",
           "no_apps": "No application is available"},
}
FOREIGN = {
    "de": ["Log in", "Password", "Log out", "Username", "Error", "Continue",
           " the ", "request", "invalid"],
    "en": ["Anmelden", "Passwort", "Abmelden", "Benutzername", "Fehler",
           "Weiter"],
}

n = 0
failed = 0


def check(ok, what):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print(("ok" if ok else "not ok") + " %d - %s" % (n, what), flush=True)


def browser(lang, size):
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--lang=" + lang,
              "--window-size=%d,%d" % size):
        o.add_argument(a)
    o.add_experimental_option("prefs", {"intl.accept_languages": lang})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_window_size(*size)
    return d


with open(AXE, encoding="utf-8") as f:
    AXE_SRC = f.read()


def look(d, lang, width, name, expect):
    """Screenshot, axe, language of the page now shown."""
    tag = "%s %s %s" % (name, lang, width)
    d.save_screenshot(os.path.join(OUT, "%s-%s-%s.png" % (name, lang, width)))
    html_lang = d.find_element(By.TAG_NAME, "html").get_attribute("lang")
    check(html_lang == lang, "%s: <html lang=%s> (got %s)" % (tag, lang, html_lang))
    text = d.find_element(By.TAG_NAME, "body").text
    check(expect in text, "%s: shows %r" % (tag, expect))
    # text marked as another language (lang="en" on a German page: a
    # protocol's technical detail) is announced as such and not counted
    own = d.execute_script(
        "const b = document.body.cloneNode(true);"
        "b.querySelectorAll('[lang]').forEach(e => {"
        "  if (e.lang !== document.documentElement.lang) e.remove(); });"
        "return b.textContent;")
    foreign = [w for w in FOREIGN[lang] if w in own]
    check(not foreign, "%s: no words of the other language %s" % (tag, foreign))
    d.execute_script(AXE_SRC)
    res = d.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
        ".then(r => done(JSON.stringify(r.violations)))"
        ".catch(e => done(JSON.stringify([{id: 'axe-error', help: String(e)}])));")
    v = json.loads(res)
    check(not v, "%s: axe-core finds no violation %s" % (
        tag, [(x["id"], x.get("help")) for x in v]))
    # nothing may stick out sideways on a phone
    sw = d.execute_script("return document.documentElement.scrollWidth")
    cw = d.execute_script("return document.documentElement.clientWidth")
    check(sw <= cw, "%s: no horizontal scrolling (%d <= %d)" % (tag, sw, cw))


def submit(d, button):
    """Click and wait until the next page replaced this one.

    A mark on the old page's window object is gone once the next document
    has loaded.  Selenium's staleness_of is not used: while the old document
    is being torn down Chromium answers with an inspector error instead of
    "stale element", which staleness_of does not catch."""
    d.execute_script("window.__idm_old_page = true")
    button.click()

    def replaced(drv):
        try:
            return drv.execute_script(
                "return window.__idm_old_page === undefined"
                " && document.readyState === 'complete'")
        except WebDriverException:
            return False  # between two documents

    WebDriverWait(d, 30).until(replaced)


def portal_structure(d, lang, width, name):
    """One h1 naming the page; no other heading repeats it; the
    catalogue's German texts marked lang=de on an English page."""
    tag = "%s %s %s" % (name, lang, width)
    h1 = d.find_elements(By.TAG_NAME, "h1")
    check(len(h1) == 1, "%s: one h1 (got %d)" % (tag, len(h1)))
    heads = [h.text.strip() for h in d.find_elements(By.CSS_SELECTOR, "h2, h3")]
    check(h1 and h1[0].text.strip() not in heads and "" not in heads,
          "%s: no heading repeats the h1 or is empty %s" % (tag, heads))
    names = d.find_elements(By.CSS_SELECTOR,
                            "li[data-app] > a, li[data-app] > strong")
    marked = [e for e in names if e.get_attribute("lang") == "de"]
    want = 0 if lang == "de" else len(names)
    check(len(marked) == want,
          "%s: %d of %d application names marked lang=de" % (
              tag, len(marked), len(names)))
    return len(names)


def login(d, user, password):
    d.find_element(By.ID, "login").send_keys(user)
    d.find_element(By.ID, "password").send_keys(password)
    submit(d, d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


runs = [(lang, width) for lang in ("de", "en") for width in WIDTHS]
if len(ACCOUNTS) < len(runs):
    sys.exit("need %d accounts" % len(runs))
EMPTY = ACCOUNTS[len(runs)] if len(ACCOUNTS) > len(runs) else None
for (lang, width), (user, password) in zip(runs, ACCOUNTS):
    w = WORDS[lang]
    d = browser(lang, WIDTHS[width])
    try:
        d.get(BASE + "/login")
        look(d, lang, width, "login", w["login"])
        login(d, user, password + "-wrong")
        alert = d.find_elements(By.CSS_SELECTOR, "[role=alert]")
        check(len(alert) == 1 and alert[0].is_displayed(),
              "login-failed %s %s: the failure is one visible alert" % (lang, width))
        look(d, lang, width, "login-failed", w["login"])
        login(d, user, password)
        check(d.current_url.rstrip("/") == BASE,
              "portal %s %s: after the login (%s)" % (lang, width, d.current_url))
        look(d, lang, width, "portal", w["logout"])
        n_apps = portal_structure(d, lang, width, "portal")
        check(n_apps > 0 and w["no_apps"] not in d.find_element(
            By.TAG_NAME, "body").text,
            "portal %s %s: applications listed, no empty-state text" % (
                lang, width))
        d.get(BASE + "/password")
        look(d, lang, width, "password", w["password"])
        d.get(BASE + "/no-such-page")
        look(d, lang, width, "not-found", w["error"])
        # a SAML request the IdP refuses: its page in the user's language
        d.get(BASE + "/saml/sso?SAMLRequest=bm90IGRlZmxhdGVk")
        look(d, lang, width, "rejected", w["rejected"])
        if lang == "de":
            tech = d.find_elements(By.CSS_SELECTOR, "p.tech span[lang=en]")
            check(len(tech) == 1 and tech[0].text != "",
                  "rejected de %s: the English reason only as a detail "
                  "marked lang=en" % width)
        d.get(BASE + "/")
        submit(d, d.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))
        look(d, lang, width, "logged-out", w["logged_out"])
        if EMPTY is not None:
            # a person who may use no application: told so, and whom to ask
            d.get(BASE + "/login")
            login(d, *EMPTY)
            look(d, lang, width, "portal-empty", w["no_apps"])
            check(portal_structure(d, lang, width, "portal-empty") == 0,
                  "portal-empty %s %s: no application listed" % (lang, width))
            submit(d, d.find_element(By.CSS_SELECTOR,
                                     "form[action='/logout'] button"))
    finally:
        d.quit()
print("%d passed, %d failed" % (n - failed, failed))
sys.exit(1 if failed else 0)
