"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium) for the
stakeholder pages, and axe-core (npm, tests/browser/package.json) injected into them.

Nothing is downloaded at run time: the driver and the browser are the system's, named by path."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.invitations.conftest import make_event  # noqa: F401 - fixtures the pages' data come from
from tests.rounds.conftest import directory, draft, facilitator, link_for, make_round  # noqa: F401
from tests.waiting import wait_until

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
AXE_SCRIPT = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
# A desktop window and a phone held upright.
DESKTOP, PHONE = 1280, 390
WIDTHS = [DESKTOP, PHONE]
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    for needed in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(needed), (
            f"{needed} is missing: scripts/test installs chromium and chromium-driver"
        )
    assert AXE_SCRIPT.exists(), "axe-core is missing: npm ci --prefix tests/browser"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def set_width(browser: webdriver.Chrome, width: int) -> None:
    """Resizes the window so that the page's viewport is ``width`` CSS pixels wide."""
    browser.set_window_size(width, 900)
    inner = browser.execute_script("return window.innerWidth")
    if inner != width:  # the window's frame, if any, takes its share
        browser.set_window_size(2 * width - inner, 900)
    assert browser.execute_script("return window.innerWidth") == width


def read_in(browser: webdriver.Chrome, language: str) -> None:
    """The browser's Accept-Language from now on: pages without a person to ask use it."""
    user_agent = browser.execute_script("return navigator.userAgent")
    browser.execute_cdp_cmd(
        "Emulation.setUserAgentOverride", {"userAgent": user_agent, "acceptLanguage": language}
    )


def submit(browser: webdriver.Chrome, button: WebElement) -> None:
    """Clicks ``button`` and waits until the browser shows the page the form's answer led to."""
    page = browser.find_element("tag name", "html")
    button.click()

    def replaced() -> bool:
        try:
            page.tag_name  # noqa: B018 (touching a detached element raises)
        except WebDriverException:
            # Stale, or (mid-navigation) "Node with given id does not belong to the document".
            return browser.execute_script("return document.readyState") == "complete"
        return False

    wait_until(replaced, "the page the form led to")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}) at {', '.join(self.targets[:5])}"


def axe_violations(browser: webdriver.Chrome) -> list[Violation]:
    """The serious and critical WCAG 2.x A/AA (and 2.2) violations axe-core finds on the open page."""
    browser.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
            .then(result => done(result.violations))
            .catch(error => done({error: String(error)}));
        """
    )
    assert not isinstance(result, dict), result
    return [
        Violation(v["id"], v["impact"], tuple(" ".join(n["target"]) for n in v["nodes"]))
        for v in result
        if v["impact"] in SERIOUS
    ]


def rules_of(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


_CONTROLS = """
return [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])'
)].filter(e => !e.disabled && e.checkVisibility({visibilityProperty: true}));
"""

_FOCUS_SHOWN = """
const style = getComputedStyle(arguments[0]);
const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
return outline || style.boxShadow !== "none";
"""


@dataclass
class KeyboardWalk:
    controls: list[WebElement]  # every visible control of the page, in document order
    reached: list[WebElement]  # what Tab focused, in order, each once
    unmarked: list[str]  # the focused controls without a visible focus indicator


def tab_through(browser: webdriver.Chrome) -> KeyboardWalk:
    """Presses Tab from the top of the page until the focus leaves the page or comes round again,
    noting each control reached and whether its focus is visible (an outline or a box shadow)."""
    controls = browser.execute_script(_CONTROLS)
    # Start at the top of the document, even when a control has autofocus.
    browser.execute_script(
        "document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex');"
    )
    reached: list[WebElement] = []
    unmarked: list[str] = []
    for _ in range(len(controls) + 2):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.switch_to.active_element
        if focused in reached or focused.tag_name == "body":
            break
        reached.append(focused)
        if not browser.execute_script(_FOCUS_SHOWN, focused):
            unmarked.append(focused.get_attribute("outerHTML")[:120])
    return KeyboardWalk(controls, reached, unmarked)


def assert_accessible(browser: webdriver.Chrome) -> None:
    """The open page at each width: no serious axe violation, nothing running off the side of the
    screen, and every control reached by Tab with its focus visible."""
    found = {}
    for width in WIDTHS:
        set_width(browser, width)
        found[width] = [str(v) for v in axe_violations(browser)]
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    assert not any(found.values()), found
    walk = tab_through(browser)
    assert walk.reached == walk.controls and walk.unmarked == []
