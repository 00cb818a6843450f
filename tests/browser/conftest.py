"""The browser tests' shared fixtures: the running site, Chromium and a fresh page.

They are defined in test_browser.py (the first of these tests) and shared from here with the
other modules of this folder.
"""

from tests.browser.test_browser import browser, page, site

__all__ = ["browser", "page", "site"]
