"""Chromium driven by Selenium against pytest-django's live server.

Outside CI a missing browser, driver or Selenium skips these tests with the reason; with CI=true they must
run (`make browser-deps` installs Debian's chromium and chromium-driver)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SYNTHHUB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("SYNTHHUB_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "pw-for-tests"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "Selenium is not installed (pip install -e '.[dev]')"
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{what} not found at {path} (make browser-deps installs chromium and chromium-driver)"
    return None


@pytest.fixture(scope="session")
def browser_available():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the browser tests to run: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture
def downloads(tmp_path):
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(browser_available, downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


class Journey:
    """One member's session in the console: sign in, go to pages, wait for things, save screenshots."""

    def __init__(self, driver, live_server, name: str):
        self.driver, self.base, self.name, self.step = driver, live_server.url, name, 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def go(self, path: str):
        self.driver.get(f"{self.base}{path}")

    def sign_in(self, user):
        from selenium.webdriver.common.by import By

        self.go("/console/login/?next=/console/")
        self.driver.find_element(By.NAME, "username").send_keys(user.username)
        self.driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        self.wait_for_text("Rows generated, last 30 days")

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css: str, timeout: float = 20):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))

    def wait_for_text(self, text: str, timeout: float = 20):
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout).until(lambda d: text in d.page_source,
                                                  message=f"waited for {text!r} on {self.driver.current_url}")

    def wait_until(self, condition, timeout: float = 20):
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, timeout).until(condition)

    @property
    def text(self) -> str:
        return self.find("body").text

    def shot(self, label: str) -> Path:
        self.step += 1
        path = SCREENSHOTS / f"{self.name}-{self.step:02d}-{label}.png"
        self.driver.save_screenshot(str(path))
        return path

    def post_with_session(self, path: str) -> int:
        """A POST from the page's own session (with its CSRF token), as a forged form would send it."""
        return self.driver.execute_async_script("""
            const [url, done] = arguments;
            const token = (document.cookie.split('; ').find(c => c.startsWith('csrftoken=')) || '=').split('=')[1];
            fetch(url, {method: 'POST', credentials: 'same-origin', body: 'rows_scale=1',
                  headers: {'X-CSRFToken': token, 'Content-Type': 'application/x-www-form-urlencoded'}})
              .then(r => done(r.status)).catch(() => done(-1));
        """, f"{self.base}{path}")


@pytest.fixture
def journey(browser, live_server):
    def start(name: str) -> Journey:
        return Journey(browser, live_server, name)

    return start


@pytest.fixture
def teams(transactional_db, make_tenant):
    """Team A (one member per role) and team B, with a small dataset each."""
    from apps.datasets import services

    from ..console.conftest import SPEC

    a, a_users = make_tenant("alpha")
    b, b_users = make_tenant("beta")
    theirs = services.dataset_create(tenant=b, actor=b_users["owner"], name="beta secrets", spec=SPEC)
    ours = services.dataset_create(tenant=a, actor=a_users["owner"], name="team shop", spec=SPEC)
    return {"a": a, "users": a_users, "b": b, "theirs": theirs, "ours": ours}
