#!/usr/bin/python3
# Browser test of ppe-web in Debian's headless Chromium, through the real processes: a Sanming
# deployment (broker, one county node, ppe-web) on free 127.0.0.1 ports; the dashboard loads in
# Chinese, shows a county's stock and cover as `ppe-ctl status --json` says, draws the map and a
# site's chart, switches to English and back, updates a figure live after the node reports (no
# reload) without losing what is typed in the log's filter form, fetches nothing from outside
# 127.0.0.1, and saves screenshots in the build folder.
#
# usage: web_browser_test.py --source DIR --bin-ctl F --bin-broker F --bin-node F --bin-web F --out DIR
# Exit 77 (CTest: skipped) only when Chromium or its driver is not installed.
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def free_port_pair():
    """Two consecutive free ports N, N+1 on 127.0.0.1 (the broker's and its feed's)."""
    for _ in range(200):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            n = a.getsockname()[1]
            if n >= 65000:
                continue
            try:
                with socket.socket() as b:
                    b.bind(("127.0.0.1", n + 1))
                    return n
            except OSError:
                continue
    raise RuntimeError("no two consecutive free ports")


def wait_for(condition, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception:  # a page mid-update, a process not up yet: try again
            pass
        time.sleep(0.1)
    raise AssertionError("timed out after %.0f s waiting for %s" % (timeout_s, what))


class Deployment:
    def __init__(self, args, tmp):
        self.args = args
        self.dir = os.path.join(tmp, "deploy")
        self.procs = []
        self.port = free_port_pair()
        run([args.bin_ctl, "init", "--city", os.path.join(args.source, "config", "sanming.yaml"),
             "--out", self.dir, "--port-base", str(self.port)])

    def spawn(self, argv, log):
        out = open(os.path.join(self.dir, "logs", log), "wb")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=self.dir)
        self.procs.append(p)
        return p

    def node(self, county, *argv):
        return run([self.args.bin_node, "--config", os.path.join(self.dir, "nodes", county + ".yaml")] + list(argv))

    def ctl_json(self, *argv):
        return json.loads(run([self.args.bin_ctl, "--config", os.path.join(self.dir, "ctl.yaml")] + list(argv) + ["--json"]))

    def drained(self, county):
        s = json.loads(self.node(county, "status", "--json"))
        return s.get("outbox_pending") == 0 and s.get("connected")

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


def wait_listening(port, program):
    """Waits until something accepts connections on 127.0.0.1:port."""
    def up():
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    wait_for(up, 10, program + " to listen")


def assert_served_only_from(driver, base, paths):
    """Each page of `paths` loads nothing from anywhere but `base` (no CDN, no internet)."""
    for path in paths:
        driver.get(base + path)
        names = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
        outside = [n for n in names if not n.startswith(base + "/")]
        assert not outside, (path, outside)


def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr))
    return r.stdout


def browser():
    """Chromium as the operators' PCs run it: in Chinese (its own words too, such as a file input's
    button, from Debian's chromium-l10n; on Linux it takes them from LANGUAGE, not from --lang)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1400,1800", "--lang=zh-CN", "--no-proxy-server",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    env = dict(os.environ, LANGUAGE="zh_CN:zh", LANG="zh_CN.UTF-8")
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver", env=env), options=options)


def browser_missing():
    """Why the browser tests cannot run here ("" when they can): Chromium, its driver or selenium absent."""
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        return "Debian's chromium and chromium-driver are not installed (scripts/bootstrap.sh installs them)"
    if not os.path.exists("/usr/lib/chromium/locales/zh-CN.pak"):
        return "Debian's chromium-l10n is not installed: Chromium would speak English (scripts/bootstrap.sh installs it)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "python3-selenium is not installed (scripts/bootstrap.sh installs it)"
    return ""


def browser_test_args(names):
    """A browser test's command line (a required --NAME for each of `names`); None, saying why,
    when the browser is missing here."""
    parser = argparse.ArgumentParser()
    for name in names:
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    missing = browser_missing()
    if missing:
        print("SKIPPED: " + missing)
        return None
    return args


class BrowserRun:
    """A fresh deployment in a temporary folder and, once asked for, a headless Chromium: on leaving,
    whatever happened, the browser quits, the processes stop and the folder goes."""

    def __init__(self, args, prefix):
        os.makedirs(args.out, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.d = Deployment(args, self.tmp)
        self.driver = None

    def start_browser(self):
        self.driver = browser()
        self.driver.set_page_load_timeout(20)
        return self.driver

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.driver is not None:
            self.driver.quit()
        self.d.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    args = browser_test_args(("source", "bin-ctl", "bin-broker", "bin-node", "bin-web", "out"))
    if args is None:
        return SKIP
    with BrowserRun(args, "ppe-web-browser-") as browser_run:
        d, tmp = browser_run.d, browser_run.tmp
        d.spawn([args.bin_broker, "--config", os.path.join(d.dir, "broker.yaml")], "broker.out")
        d.spawn([args.bin_node, "--config", os.path.join(d.dir, "nodes", "meilie.yaml"), "run"], "meilie.out")
        d.node("meilie", "stock", "meilie-wh", "mask.n95", "3000")
        d.node("meilie", "demand", "sm-first-hospital", "mask.n95", "--on-hand", "800", "--daily-use", "1200")
        d.node("meilie", "demand", "ml-first-fever", "mask.n95", "--on-hand", "30", "--daily-use", "40")
        wait_for(lambda: d.drained("meilie"), 20, "the node's reports to reach the broker")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            web_port = s.getsockname()[1]
        d.spawn([args.bin_web, "--config", os.path.join(d.dir, "web.yaml"), "--listen", "127.0.0.1:%d" % web_port],
                "web.out")
        base = "http://127.0.0.1:%d" % web_port

        wait_listening(web_port, "ppe-web")

        driver = browser_run.start_browser()
        driver.get(base + "/")
        html = driver.find_element("tag name", "html")
        assert html.get_attribute("lang") == "zh-CN", html.get_attribute("lang")
        h1 = driver.find_element("tag name", "h1").text
        assert "全市" in h1, h1
        assert driver.find_element("id", "lang-switch").text == "English"

        # The county's figures are the broker's: stock and cover as ppe-ctl status --json says.
        status = d.ctl_json("status")
        meilie = next(c for c in status["counties"] if c["county"] == "meilie")
        n95 = meilie["items"]["mask.n95"]
        row = wait_for(lambda: next(r for r in driver.find_elements("css selector", "table.counties tbody tr")
                                    if "梅列区" in r.text), 5, "the county table")
        assert "{:,}".format(n95["stock"]) in row.text, (row.text, n95)
        assert "%.1f 天" % n95["days_of_cover"] in row.text, (row.text, n95)

        # The map: one cell per county, Meilie's coloured by its tier 1 sites' lowest cover.
        cells = driver.find_elements("css selector", "#city-map g.county")
        assert len(cells) == 12, len(cells)
        demand = d.ctl_json("demand")
        tier1 = min(r["days_of_cover"] for r in demand if r["county"] == "meilie" and r["tier"] == 1)
        cell = driver.find_element("css selector", "#city-map g[data-county=meilie]")
        assert cell.get_attribute("data-cover") == "%.1f" % tier1, (cell.get_attribute("data-cover"), tier1)
        assert "band-critical" in cell.get_attribute("class"), cell.get_attribute("class")  # 0.75 d
        driver.save_screenshot(os.path.join(args.out, "web-city-zh.png"))

        # Live: a count at the node shows on the open page within 5 s, without a reload.
        driver.execute_script("window.__not_reloaded = 'yes';")
        d.node("meilie", "stock", "meilie-wh", "mask.n95", "4321")
        started = time.monotonic()
        wait_for(lambda: any("4,321" in r.text for r in driver.find_elements("css selector", "table.counties tbody tr")),
                 5, "the new count on the open page")
        took = time.monotonic() - started
        assert driver.execute_script("return window.__not_reloaded;") == "yes", "the page was reloaded"
        print("live update seen %.1f s after the report was recorded" % took)

        # The log's filter form keeps what is being typed while the page updates under it.
        driver.get(base + "/log")
        site_box = driver.find_element("id", "filter-site")
        site_box.send_keys("sm-first")
        from selenium.webdriver.support.ui import Select
        Select(driver.find_element("id", "filter-status")).select_by_value("shipped")
        site_box.click()
        refreshed = driver.find_element("tag name", "body").get_attribute("data-refreshed")
        d.node("meilie", "stock", "meilie-wh", "mask.n95", "4400")
        wait_for(lambda: driver.find_element("tag name", "body").get_attribute("data-refreshed") != refreshed, 5,
                 "the log page to update under the filter form")
        assert driver.find_element("id", "filter-site").get_attribute("value") == "sm-first"
        assert driver.find_element("id", "filter-status").get_attribute("value") == "shipped"
        assert driver.switch_to.active_element.get_attribute("id") == "filter-site"
        driver.get(base + "/")

        # English one click away, and back.
        driver.find_element("id", "lang-switch").click()
        wait_for(lambda: driver.find_element("tag name", "html").get_attribute("lang") == "en", 5, "the English page")
        assert "Meilie District" in driver.page_source and "梅列区" not in driver.find_element("css selector", "table.counties").text
        assert driver.find_element("id", "lang-switch").text == "中文"
        driver.save_screenshot(os.path.join(args.out, "web-city-en.png"))
        driver.get(base + "/county/meilie")  # the choice is remembered
        assert driver.find_element("tag name", "html").get_attribute("lang") == "en"
        driver.find_element("id", "lang-switch").click()
        wait_for(lambda: driver.find_element("tag name", "html").get_attribute("lang") == "zh-CN", 5, "Chinese again")

        # A site's chart of its cover over time.
        d.node("meilie", "demand", "sm-first-hospital", "mask.n95", "--on-hand", "600", "--daily-use", "1200")
        wait_for(lambda: d.drained("meilie"), 20, "the second count")
        driver.get(base + "/site/sm-first-hospital")
        assert "三明市第一医院" in driver.find_element("tag name", "h1").text
        series = driver.find_elements("css selector", "#cover-chart path.series")
        assert len(series) == 1 and series[0].get_attribute("data-item") == "mask.n95", len(series)
        assert len(driver.find_elements("css selector", "#cover-chart circle")) >= 2
        driver.save_screenshot(os.path.join(args.out, "web-site-zh.png"))

        # Nothing fetched from anywhere but this ppe-web.
        assert_served_only_from(driver, base, ("/", "/log", "/donations", "/plan"))

        # A bad address: a clear page in the user's language, 4xx.
        driver.get(base + "/site/no-such-site")
        assert "没有点位" in driver.page_source
        driver.get(base + "/")
        driver.save_screenshot(os.path.join(args.out, "web-dashboard.png"))
        print("screenshots in " + args.out)
        return 0


if __name__ == "__main__":
    sys.exit(main())
