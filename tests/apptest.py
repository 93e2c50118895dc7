"""Running the app under Streamlit's AppTest, on any page."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.navigation import page_file

PROJECT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def app(page: str | None = None) -> AppTest:
    test = AppTest.from_file(str(PROJECT / "tests" / "app_entry.py"), default_timeout=TIMEOUT).run()
    if page is not None:
        test.switch_page(page_file(page)).run()
    assert not test.exception, [e.message for e in test.exception]
    return test
