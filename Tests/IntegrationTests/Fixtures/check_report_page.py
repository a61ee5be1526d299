#!/usr/bin/env python3
"""Opens a sweep's report.html in headless Chromium (Selenium with the system chromedriver) in a
1400 × 1000 window and prints what a reader would meet, as one JSON object: the page's width
against the window's, the headings, plots and table rows present, the tick labels of each plot's
x axis, whether it reloads itself (a mark set in the page is gone after the reload interval),
and every message the browser's console logged at level SEVERE. Saves a screenshot.

usage: check_report_page.py REPORT.html SCREENSHOT.png [--watch-reload SECONDS]
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def main():
    page, screenshot = sys.argv[1], sys.argv[2]
    watch = float(sys.argv[sys.argv.index("--watch-reload") + 1]) if "--watch-reload" in sys.argv else None
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get("file://" + page)
        result = {
            "title": driver.title,
            "window_width": driver.execute_script("return window.innerWidth"),
            "page_width": driver.execute_script("return document.documentElement.scrollWidth"),
            "headings": [h.text for h in driver.find_elements(By.CSS_SELECTOR, "h1, h2")],
            "figures": len(driver.find_elements(By.CSS_SELECTOR, "figure svg")),
            "trial_rows": len(driver.find_elements(By.XPATH, "//h2[text()='Trials']/following-sibling::div[1]//tbody/tr")),
            "live_banner": [p.text for p in driver.find_elements(By.CSS_SELECTOR, "p.live")],
            "refresh": [m.get_attribute("content") for m in driver.find_elements(By.CSS_SELECTOR, "meta[http-equiv='refresh']")],
            # Each scatter's x tick labels: the text elements just under its plot area.
            "x_ticks": {
                svg.get_attribute("aria-label"): [t.text for t in svg.find_elements(By.CSS_SELECTOR, "text.xtick")]
                for svg in driver.find_elements(By.CSS_SELECTOR, ".grid svg")
            },
        }
        driver.save_screenshot(screenshot)
        if watch is not None:
            driver.execute_script("window.__ringtrainMark = 1")
            time.sleep(watch)
            result["reloaded"] = driver.execute_script("return window.__ringtrainMark === undefined")
        result["console_errors"] = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        print(json.dumps(result))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
