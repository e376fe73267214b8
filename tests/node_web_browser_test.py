#!/usr/bin/python3
# Browser test of the county page (ppe-node web) in Debian's headless Chromium, through the real
# processes: a Sanming deployment whose broker is down at first. Chromium runs in Chinese, as the
# operators' browsers do, and the page is Chinese by default whatever the browser asks for; a
# field error shows beside its field; a figure 100x the last is asked for and recorded once
# confirmed; a CSV with a bad row is refused whole, naming the row; a CSV as Excel saves it (UTF-8
# byte-order mark, CRLF, a quoted donor with a comma) uploaded while the broker is down lands in the
# outbox and reaches the broker exactly once when it is back; the open orders page says that an order
# came, and later that it changed, without a reload and keeping a half-typed figure; an order is
# shipped with its button and a short receipt recorded with its form; `ppe-ctl check` is clean. Screenshots: OUT/node-*.png.
#
# usage: node_web_browser_test.py --source DIR --bin-ctl F --bin-broker F --bin-node F --out DIR
# Exit 77 (CTest: skipped) only when Chromium, its Chinese or its driver is not installed.
import json
import os
import socket
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_browser_test import (SKIP, BrowserRun, assert_served_only_from, browser_test_args, run,  # noqa: E402
                              wait_for, wait_listening)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    args = browser_test_args(("source", "bin-ctl", "bin-broker", "bin-node", "out"))
    if args is None:
        return SKIP
    driver = None
    started = time.monotonic()

    def step(what):  # how long each part took, for a run that is slow somewhere
        print("%5.1f s  %s" % (time.monotonic() - started, what), flush=True)

    def shot(name):
        driver.save_screenshot(os.path.join(args.out, "node-" + name + ".png"))

    def status():
        return json.loads(d.node("meilie", "status", "--json"))

    def by_id(element_id):
        return driver.find_element("id", element_id)

    def fill(element_id, text):
        field = by_id(element_id)
        field.clear()
        field.send_keys(text)

    def submit(button_id):
        by_id(button_id).click()
        wait_for(lambda: driver.execute_script("return document.readyState") == "complete", 10, "the page after " + button_id)

    def notice():
        return wait_for(lambda: by_id("notice").text, 10, "the success notice")

    with BrowserRun(args, "ppe-node-web-browser-") as browser_run:
        d, tmp = browser_run.d, browser_run.tmp
        # Only the page: no broker, no daemon. It records all the same.
        web_port = free_port()
        d.spawn([args.bin_node, "--config", os.path.join(d.dir, "nodes", "meilie.yaml"), "web",
                 "--listen", "127.0.0.1:%d" % web_port], "meilie-web.out")
        base = "http://127.0.0.1:%d" % web_port

        wait_listening(web_port, "ppe-node web")

        driver = browser_run.start_browser()
        step("chromium started")
        driver.get(base + "/")
        assert driver.execute_script("return navigator.language") == "zh-CN"  # Chromium itself in Chinese
        assert driver.find_element("tag name", "html").get_attribute("lang") == "zh-CN"
        # The page's words are its own, whatever language the browser asks for.
        english_browser = driver.execute_async_script(
            "var done = arguments[0];"
            "fetch('/import', {headers: {'Accept-Language': 'en-US,en'}}).then(function (r) { return r.text(); })"
            ".then(done);")
        assert 'lang="zh-CN"' in english_browser and "CSV 文件" in english_browser, english_browser[:400]
        assert "梅列区" in driver.find_element("tag name", "h1").text
        assert by_id("lang-switch").text == "English"
        assert "后台服务（ppe-node run）未运行" in by_id("link-status").text, by_id("link-status").text
        shot("entry-zh")
        step("the page in Chinese")

        # A field error: said beside the field, in Chinese; nothing recorded.
        fill("stock-quantity", "12a")
        submit("stock-submit")
        error = by_id("stock-quantity-error").text
        assert "“12a” 不是整数" in error, error
        assert by_id("stock-quantity").get_attribute("value") == "12a"
        assert status()["outbox_pending"] == 0
        shot("field-error")
        step("a field error")

        # A count 100x the last: asked for on the page, recorded only once confirmed.
        driver.find_element("css selector", "#stock-item option[value='mask.surgical']").click()
        fill("stock-quantity", "1000")
        submit("stock-submit")
        assert "已记录" in notice()
        driver.find_element("css selector", "#stock-item option[value='mask.surgical']").click()
        fill("stock-quantity", "900000")
        submit("stock-submit")
        ask = by_id("stock-confirm-ask").text
        assert "900,000 超过上次记录（1,000）的 100 倍" in ask, ask
        assert status()["outbox_pending"] == 1
        shot("confirm")
        by_id("stock-confirm").click()
        submit("stock-submit")
        assert "900,000" in notice()
        assert status()["outbox_pending"] == 2
        step("a confirmation")

        # A POST from a script without the page's token (what another site could send): 403, nothing recorded.
        code = driver.execute_async_script(
            "var done = arguments[0];"
            "fetch('/stock', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},"
            " body: 'place=meilie-wh&item=mask.n95&quantity=1'}).then(function (r) { done(r.status); });")
        assert code == 403, code
        assert status()["outbox_pending"] == 2

        # A CSV with a bad row: refused whole, naming the row.
        bad = os.path.join(tmp, "bad.csv")
        with open(bad, "wb") as f:
            f.write("type,place,item,quantity,daily_use,source,from\r\n"
                    "stock,meilie-wh,mask.n95,12000,,,\r\n"
                    "stock,meilie-wh,mask.kn95,500,,,\r\n"
                    "demand,sm-first-hospital,mask.n95,800,1200,,\r\n".encode("utf-8"))
        driver.get(base + "/import")
        assert driver.find_element("css selector", "label[for=import-file]").text == "CSV 文件"
        shot("import")
        by_id("import-file").send_keys(bad)
        submit("import-submit")
        refused = by_id("import-refused").text
        assert "一行也没有导入" in refused and "第 3 行" in refused and "mask.kn95" in refused, refused
        assert status()["outbox_pending"] == 2
        shot("csv-refused")
        step("a CSV refused")

        # As Excel saves it, while the broker is down: it lands in the outbox.
        good = os.path.join(tmp, "good.csv")
        with open(good, "wb") as f:
            f.write(b"\xef\xbb\xbf" + (
                "type,place,item,quantity,daily_use,source,from,reference,lot,expires\r\n"
                "stock,meilie-wh,mask.n95,12000,,,,,,\r\n"
                "receipt,meilie-wh,mask.n95,5000,,donation,\"Fujian Red Cross, Sanming\",FJRC-17,L2003,2030-06-30\r\n"
                "demand,sm-first-hospital,mask.n95,800,1200,,,,,\r\n").encode("utf-8"))
        by_id("import-file").send_keys(good)
        submit("import-submit")
        assert "已导入 3 行" in notice()
        assert status()["outbox_pending"] == 5
        shot("csv-imported")
        step("a CSV imported")

        # The broker and the daemon come back: each report reaches the broker exactly once.
        d.spawn([args.bin_broker, "--config", os.path.join(d.dir, "broker.yaml")], "broker.out")
        daemon = [args.bin_node, "--config", os.path.join(d.dir, "nodes", "meilie.yaml"), "run"]
        meilie = d.spawn(daemon, "meilie.out")
        wait_for(lambda: d.drained("meilie"), 30, "the outbox to reach the broker")
        stock = d.ctl_json("stock")
        n95 = next(r for r in stock if r["warehouse"] == "meilie-wh" and r["item"] == "mask.n95")
        assert n95["on_hand"] == 17000, n95  # the count, then the donation: once each
        trace = d.ctl_json("trace", "--donor", "Fujian Red Cross, Sanming")
        assert trace["received"] == 5000, trace
        step("the outbox at the broker, once")
        driver.get(base + "/")
        assert "已连接市级调度中心" in by_id("link-status").text, by_id("link-status").text

        # An order: the open orders page says it came (no reload), shipped with its button,
        # received short with its form.
        driver.get(base + "/orders")
        assert not by_id("orders-watch").is_displayed()
        orders = d.ctl_json("allocate")["orders"]
        order = next(o for o in orders if o["from_warehouse"] == "meilie-wh" and o["to_site"] == "sm-first-hospital")
        oid, qty = order["id"], order["qty"]
        wait_for(lambda: by_id("orders-arrived").is_displayed(), 20, "the page to say order %d came" % oid)
        assert by_id("orders-arrived").text == "有新的调拨单 — 点击刷新", by_id("orders-arrived").text
        shot("orders-arrived")
        submit("orders-arrived")
        assert driver.find_elements("id", "ship-%d" % oid)
        pick = driver.find_element("css selector", "#orders-ship ul.pick").text
        assert "批号 L2003" in pick and "有效期至 2030-06-30" in pick, pick
        shot("orders")
        step("the order on the page")
        # Shipped with the daemon stopped (the network down); the figure half typed when it is back
        # and the broker confirms the shipment: the page says so and keeps the figure.
        meilie.terminate()
        meilie.wait(timeout=10)
        submit("ship-%d" % oid)
        assert ("调拨单 %d 发货" % oid) in notice()
        fill("receive-%d-quantity" % oid, str(qty - 100))
        d.spawn(daemon, "meilie-again.out")
        wait_for(lambda: d.drained("meilie"), 30, "the shipment to reach the broker")
        wait_for(lambda: by_id("orders-changed").is_displayed(), 20, "the page to say order %d changed" % oid)
        assert by_id("receive-%d-quantity" % oid).get_attribute("value") == str(qty - 100)
        submit("orders-changed")
        wait_for(lambda: by_id("receive-%d-quantity" % oid).get_attribute("value") == str(qty - 100), 5,
                 "the typed quantity kept across the refresh")
        assert "已登记，待上报" not in by_id("orders-incoming").text, by_id("orders-incoming").text
        submit("receive-%d" % oid)
        received = notice()
        assert "数量差异" in received, received
        shot("received")
        wait_for(lambda: d.drained("meilie"), 20, "the steps to reach the broker")
        row = next(o for o in d.ctl_json("orders") if o["id"] == oid)
        assert row["status"] == "received" and row["received_qty"] == qty - 100, row
        run([args.bin_ctl, "--config", os.path.join(d.dir, "ctl.yaml"), "check"])
        step("shipped, received, checked")

        # English one click away; nothing fetched from anywhere but this page.
        driver.get(base + "/")
        by_id("lang-switch").click()
        wait_for(lambda: driver.find_element("tag name", "html").get_attribute("lang") == "en", 5, "the English page")
        assert "Stock count" in driver.page_source
        shot("entry-en")
        assert_served_only_from(driver, base, ("/", "/import", "/orders"))
        by_id("lang-switch").click()
        print("screenshots in " + args.out)
        return 0


if __name__ == "__main__":
    sys.exit(main())
