"""The README's screenshots, in English and Simplified Chinese, from a running Odoo.

Drives Debian's headless Chromium over the DevTools protocol (the
``websocket-client`` package Odoo's own browser tests use): logs in as the
administrator (a Crisis Manager) through Odoo's JSON-RPC, sets the user's
language, opens each screen, clicks what opens a dialog, and saves a PNG per
screen and language in ``docs/screenshots/`` (``NAME.png`` in English,
``NAME.zh_CN.png`` in Chinese), plus the crisis board and a crisis on a
390x844 phone, and what customers see logged out: an affected customer's page
(in the customer's language) and the public status page. Called by
``tools/screenshots.sh`` (``make screenshots``), which starts the server on
the demo database first.
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import requests
import websocket

DESKTOP = (1280, 860)
PHONE = (390, 844)


class Browser:
    """A headless Chromium page, driven over the DevTools protocol."""

    def __init__(self, chromium, port):
        self.profile = tempfile.mkdtemp(prefix="crisis-shots-")
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as response:
                    pages = [p for p in json.load(response) if p["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("Chromium did not start")
            time.sleep(0.3)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def size(self, width, height, mobile=False):
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    def wait_for(self, selector, timeout=30):
        self.wait_until(f"!!document.querySelector({json.dumps(selector)})", timeout, selector)

    def wait_until(self, expression, timeout=30, what=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.3)
        raise RuntimeError(f"{what or expression} never appeared")

    def open(self, url, selector):
        self.call("Page.navigate", url=url)
        time.sleep(1)
        self.wait_for(selector)
        time.sleep(1.5)  # the last RPCs and fonts

    def click(self, selector, then):
        self.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
        self.wait_for(then)
        time.sleep(1.5)

    def click_stat(self, name, then):
        """Click the smart button ``name``, from the button box's *More* menu
        when the box has no room for it."""
        selector = json.dumps(f"button[name={name}]")
        if not self.evaluate(f"!!document.querySelector({selector})"):
            self.evaluate("document.querySelector('.o-form-buttonbox .o_button_more').click()")
            self.wait_for(f"button[name={name}]")
        self.click(f"button[name={name}]", then)

    def shot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))
        print(f"  {os.path.relpath(path)}", flush=True)

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)


def login(base, db, user="admin"):
    session = requests.Session()
    response = session.post(
        f"{base}/web/session/authenticate",
        json={"jsonrpc": "2.0", "params": {"db": db, "login": user, "password": user}},
        timeout=30,
    )
    response.raise_for_status()
    return session


def rpc(session, base, model, method, args, kwargs=None):
    response = session.post(
        f"{base}/web/dataset/call_kw",
        json={
            "jsonrpc": "2.0",
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        },
        timeout=60,
    )
    response.raise_for_status()
    body = response.json()
    if "error" in body:
        raise RuntimeError(body["error"]["data"]["message"])
    return body["result"]


def ref(session, base, xmlid):
    module, name = xmlid.split(".")
    rows = rpc(
        session,
        base,
        "ir.model.data",
        "search_read",
        [[("module", "=", module), ("name", "=", name)]],
        {"fields": ["res_id"]},
    )
    return rows[0]["res_id"]


def review_pdf(session, base, review, png, lang):
    """The first page of the review's PDF, as Odoo prints it (wkhtmltopdf) in
    ``lang``, made a picture with poppler's pdftoppm."""
    response = session.get(
        f"{base}/report/pdf/crisis_management_review.report_crisis_review/{review}",
        params={"context": json.dumps({"lang": lang})},
        timeout=120,
    )
    response.raise_for_status()
    with tempfile.TemporaryDirectory() as folder:
        pdf = os.path.join(folder, "review.pdf")
        with open(pdf, "wb") as file:
            file.write(response.content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", pdf, png[:-4]],
            check=True,
        )


# the demo recall, as a company that speaks Chinese to its customers words it
RECALL_TITLE_ZH = "召回：L-2611 批次 Aurora 台灯可能过热"
RECALL_STATEMENT_ZH = (
    "部分 L-2611 批次的 Aurora 台灯在使用一小时后可能过热。请拔下电源并停止使用。"
    "我们将免费为您更换或全额退款，并上门收回故障台灯。"
)


def prepare_customer_view(session, base, recall, writer):
    """The demo recall in Chinese too, approved again and published.

    ``writer`` (a session of the demo user, a member of its team) translates
    it, so that the administrator may approve it: a high crisis' statement
    is approved by someone who did not write it."""
    context = {"context": {"lang": "zh_CN"}}
    title = rpc(session, base, "crisis.crisis", "read", [[recall], ["public_title"]], context)
    if title[0]["public_title"] != RECALL_TITLE_ZH:
        rpc(
            writer,
            base,
            "crisis.crisis",
            "update_field_translations",
            [[recall], "public_title", {"zh_CN": RECALL_TITLE_ZH}],
        )
        terms = rpc(
            session,
            base,
            "crisis.crisis",
            "get_field_translations",
            [[recall], "public_statement"],
            {"langs": ["zh_CN"]},
        )[0]
        rpc(
            writer,
            base,
            "crisis.crisis",
            "update_field_translations",
            [[recall], "public_statement", {"zh_CN": {terms[0]["source"]: RECALL_STATEMENT_ZH}}],
        )
    state = rpc(
        session, base, "crisis.crisis", "read", [[recall], ["statement_state", "is_published"]]
    )[0]
    if state["statement_state"] != "approved":
        rpc(session, base, "crisis.crisis", "action_approve_statement", [[recall]])
    if not state["is_published"]:
        rpc(session, base, "crisis.crisis", "action_publish", [[recall]])


def prepare_war_room(session, base, recall):
    """The recall's approved words as canned responses (approved again once,
    for a database made before them) and its war room."""
    values = rpc(session, base, "crisis.crisis", "read", [[recall], ["canned_response_ids"]])
    if not values[0]["canned_response_ids"]:
        rpc(session, base, "crisis.crisis", "action_reset_statement", [[recall]])
        rpc(session, base, "crisis.crisis", "action_approve_statement", [[recall]])
    rpc(session, base, "crisis.crisis", "action_open_war_room", [[recall]])
    codes = rpc(session, base, "crisis.crisis", "read", [[recall], ["canned_response_codes"]])
    return codes[0]["canned_response_codes"].split(" ")[0]


def prepare_credit_note(session, base):
    """The demo's approved refund delivered as a (draft) credit note, once."""
    refund = ref(session, base, "crisis_management.crisis_compensation_demo_2")
    values = rpc(session, base, "crisis.compensation", "read", [[refund], ["credit_note_ids"]])
    if not values[0]["credit_note_ids"]:
        rpc(session, base, "crisis.compensation", "action_deliver", [[refund]])
    return refund


def prepare_inbox(session, base, recall):
    """The recall has its inbox (an alias domain first, as a company sets one)."""
    if not rpc(session, base, "mail.alias.domain", "search", [[]], {"limit": 1}):
        rpc(session, base, "mail.alias.domain", "create", [{"name": "yourcompany.example.com"}])
    if not rpc(session, base, "crisis.crisis", "read", [[recall], ["alias_id"]])[0]["alias_id"]:
        rpc(session, base, "crisis.crisis", "action_create_inbox", [[recall]])


def customer_view(browser, session, base, recall, line, lang, path):
    """Logged out: the customer's page of ``line`` in ``lang`` (the
    customer's language), and the status pages in ``lang``."""
    fields = ["partner_id", "access_token"]
    partner = rpc(session, base, "crisis.impact", "read", [[line], fields])[0]
    rpc(session, base, "res.partner", "write", [[partner["partner_id"][0]], {"lang": lang}])
    browser.call("Network.deleteCookies", name="session_id", url=base)
    browser.size(DESKTOP[0], 1400)
    browser.open(
        f"{base}/my/crises/{line}?access_token={partner['access_token']}", "#crisis_statement"
    )
    # the portal chatter draws in a shadow root of its own
    browser.wait_until(
        "!!document.querySelector('#chatterRoot')?.shadowRoot?.querySelector('textarea')"
    )
    time.sleep(1)
    browser.shot(path("customer_page"))
    browser.size(*DESKTOP)
    browser.open(f"{base}/status?lang={lang}", ".o_crisis_status_page")
    browser.shot(path("status_page"))
    browser.open(f"{base}/status/{recall}?lang={lang}", ".o_crisis_status_page")
    browser.shot(path("status_crisis"))
    browser.call(
        "Network.setCookie", name="session_id", value=session.cookies["session_id"], url=base
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--url", required=True, help="the Odoo server, e.g. http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True, help="folder of the PNG files")
    parser.add_argument("--chromium", default="chromium")
    parser.add_argument("--debug-port", type=int, default=9333)
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    session = login(base, args.db)
    uid = rpc(session, base, "res.users", "search", [[("login", "=", "admin")]])[0]
    # both languages active (a database made with --load-language=zh_CN may
    # have Chinese only)
    inactive = rpc(
        session,
        base,
        "res.lang",
        "search",
        [[("code", "in", ["en_US", "zh_CN"]), ("active", "=", False)]],
        {"context": {"active_test": False}},
    )
    if inactive:
        rpc(session, base, "res.lang", "write", [inactive, {"active": True}])
    recall = ref(session, base, "crisis_management.crisis_crisis_demo_recall")
    playbook = ref(session, base, "crisis_management.crisis_playbook_demo_recall")
    customer = ref(session, base, "base.res_partner_1")
    review = ref(session, base, "crisis_management_review.crisis_review_demo_drill")
    rule = ref(session, base, "crisis_management_signal.crisis_signal_rule_demo_low_ratings")
    suspected = rpc(
        session,
        base,
        "crisis.crisis",
        "search",
        [[("signal_rule_id", "=", rule), ("signal_state", "=", "suspected")]],
        {"limit": 1},
    )
    line = ref(session, base, "crisis_management.crisis_impact_demo_recall_08")
    customer_lang = rpc(session, base, "crisis.impact", "read", [[line], ["partner_id"]])[0][
        "partner_id"
    ]
    customer_lang = rpc(session, base, "res.partner", "read", [[customer_lang[0]], ["lang"]])[0]
    prepare_customer_view(session, base, recall, login(base, args.db, "demo"))
    shortcut = prepare_war_room(session, base, recall)
    refund = prepare_credit_note(session, base)
    gift_card = ref(session, base, "crisis_management_loyalty.crisis_compensation_demo_gift_card")
    lot = ref(session, base, "crisis_management_stock.stock_lot_demo_l2611")
    lamp_line = ref(session, base, "crisis_management.crisis_impact_demo_recall_01")
    prepare_inbox(session, base, recall)
    # wkhtmltopdf fetches the report's styles from this server
    rpc(session, base, "ir.config_parameter", "set_param", ["report.url", base])
    browser = Browser(args.chromium, args.debug_port)
    browser.call(
        "Network.setCookie",
        name="session_id",
        value=session.cookies["session_id"],
        url=base,
    )
    board_url = f"{base}/odoo/action-crisis_management.crisis_crisis_action"
    crisis_url = f"{board_url}/{recall}"
    try:
        for lang, suffix in (("en_US", ""), ("zh_CN", ".zh_CN")):
            rpc(session, base, "res.users", "write", [[uid], {"lang": lang}])
            print(f"{lang}:", flush=True)

            def path(name, suffix=suffix):
                return os.path.join(args.out, f"{name}{suffix}.png")

            browser.size(*DESKTOP)
            browser.open(board_url, ".o_kanban_record")
            browser.shot(path("crisis_kanban"))
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.shot(path("crisis_form"))
            browser.click("button[name=action_add_customers]", ".modal .o_form_view")
            browser.shot(path("add_customers_wizard"))
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.click("button[name=action_notify_customers]", ".modal .o_form_view")
            browser.shot(path("notify_wizard"))
            # the SMS bridge: the company sends its updates by email and SMS
            company = rpc(session, base, "crisis.crisis", "read", [[recall], ["company_id"]])[0][
                "company_id"
            ][0]
            rpc(
                session,
                base,
                "res.company",
                "write",
                [[company], {"crisis_update_channel": "both"}],
            )
            try:
                browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
                browser.click("button[name=action_notify_customers]", ".modal .o_form_view")
                browser.click(".modal .o_notebook a[name=sms]", ".modal [name=sms_preview]")
                browser.shot(path("notify_wizard_sms"))
            finally:
                rpc(
                    session,
                    base,
                    "res.company",
                    "write",
                    [[company], {"crisis_update_channel": "email"}],
                )
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.click_stat("action_call_customers", ".modal .o_form_view")
            browser.shot(path("call_wizard"))
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.click(".o_notebook a[name=communication]", ".o_field_widget[name=alias_email]")
            browser.shot(path("crisis_inbox"))
            # the war room, and the approved words suggested where agents type
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.click_stat("action_open_war_room", ".o-mail-Discuss .o-mail-Message-body")
            browser.click(".o-mail-Discuss .o-mail-Composer-input", ".o-mail-Composer-input")
            browser.evaluate(
                "(() => { const input = document.querySelector('.o-mail-Composer-input');"
                f" input.value = {json.dumps(shortcut[:4])};"
                " input.dispatchEvent(new Event('input', {bubbles: true}));"
                " input.setSelectionRange(input.value.length, input.value.length);"
                " input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true})); })()"
            )
            try:
                browser.wait_for(".o-mail-Composer-suggestion", timeout=10)
            except RuntimeError:
                print("  (no suggestion list drawn: the war room without it)", flush=True)
            time.sleep(1)
            browser.shot(path("war_room"))
            # the sale bridge: the revenue the recall's customers kept, against comparable ones
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.click(
                ".o_notebook a[name=kpis]", ".o_field_widget[name=retention_diff_points]"
            )
            browser.evaluate(
                "document.querySelector('.o_field_widget[name=retention_diff_points]')"
                ".scrollIntoView({block: 'center'})"
            )
            time.sleep(1)
            browser.shot(path("retention"))
            # the stock bridge: the recall's customers found by the lot they received
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.evaluate(
                "odoo.__WOWL_DEBUG__.root.env.services.action.doAction("
                + json.dumps(
                    {
                        "type": "ir.actions.act_window",
                        "res_model": "crisis.impact.wizard",
                        "views": [[False, "form"]],
                        "target": "new",
                        "context": {
                            "default_crisis_id": recall,
                            "default_selection_mode": "received",
                            "default_received_lot_ids": [lot],
                        },
                    }
                )
                + ")"
            )
            browser.wait_for(".modal .o_field_widget[name=match_partner_ids] .o_data_row")
            time.sleep(1.5)
            browser.shot(path("recall_by_lot"))
            browser.open(
                f"{base}/odoo/action-crisis_management.crisis_impact_action/{lamp_line}",
                ".o_form_view .o_notebook a[name=received]",
            )
            browser.click(".o_notebook a[name=received]", ".o_field_widget[name=receipt_ids]")
            browser.shot(path("received_goods"))
            for name, xmlid, selector in (
                ("affected_customers", "crisis_impact_action", ".o_list_view, .o_kanban_view"),
                ("compensations", "crisis_compensation_action", ".o_list_view"),
                ("customer_updates", "crisis_update_action", ".o_list_view"),
                ("action_steps", "crisis_action_action", ".o_kanban_view, .o_list_view"),
                ("stages", "crisis_stage_action", ".o_list_view"),
            ):
                browser.open(f"{base}/odoo/action-crisis_management.{xmlid}", selector)
                browser.shot(path(name))
            # the bridges: a refund delivered as a credit note, a voucher as a gift card
            compensation_url = f"{base}/odoo/action-crisis_management.crisis_compensation_action"
            browser.open(
                f"{compensation_url}/{refund}",
                ".o_form_view button[name=action_view_credit_notes]",
            )
            browser.shot(path("compensation_credit_note"))
            browser.open(
                f"{compensation_url}/{gift_card}",
                ".o_form_view .o_field_widget[name=loyalty_card_code]",
            )
            browser.shot(path("compensation_gift_card"))
            browser.open(
                f"{base}/odoo/action-crisis_management.crisis_playbook_action/{playbook}",
                ".o_form_view .o_field_widget[name=name]",
            )
            browser.shot(path("playbook"))
            browser.open(
                f"{base}/odoo/action-base.action_partner_form/{customer}",
                ".o_form_view .o_notebook a[name=crises]",
            )
            browser.click(".o_notebook a[name=crises]", ".o_field_widget[name=crisis_impact_ids]")
            browser.shot(path("partner_crises"))
            review_url = (
                f"{base}/odoo/action-crisis_management_review.crisis_review_action/{review}"
            )
            browser.open(review_url, ".o_form_view .o_field_widget[name=summary]")
            browser.shot(path("review_form"))
            browser.click(".o_notebook a[name=timeline]", ".o_crisis_timeline")
            browser.shot(path("review_timeline"))
            review_pdf(session, base, review, path("review_pdf"), lang)
            # the early warning: the rule, and the suspected crisis it raised
            browser.open(
                f"{base}/odoo/action-crisis_management_signal.crisis_signal_rule_action/{rule}",
                ".o_form_view .o_field_widget[name=name]",
            )
            browser.shot(path("signal_rule"))
            if suspected:
                browser.open(f"{board_url}/{suspected[0]}", ".o_form_view")
                browser.shot(path("signal_suspected_crisis"))
            # the Dashboards app (the bridge module)
            browser.open(
                f"{base}/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action",
                ".o-spreadsheet canvas, .o_spreadsheet_dashboard_action canvas",
            )
            # the crisis dashboard (the app opens the first of its side panel)
            _model, dashboard = rpc(
                session,
                base,
                "ir.model.data",
                "check_object_reference",
                ["spreadsheet_dashboard_crisis_management", "spreadsheet_dashboard_crisis"],
            )
            name = rpc(
                session,
                base,
                "spreadsheet.dashboard",
                "read",
                [[dashboard], ["name"]],
                {"context": {"lang": lang}},
            )[0]["name"]
            entry = (
                f".o_search_panel_category_value[data-name={json.dumps(name, ensure_ascii=False)}]"
            )
            browser.click(entry, f"{entry}.active")
            time.sleep(4)  # the charts
            browser.shot(path("dashboard"))
            customer_view(browser, session, base, recall, line, lang, path)
            browser.size(*PHONE, mobile=True)
            browser.open(board_url, ".o_kanban_record")
            browser.shot(path("phone_crisis_kanban"))
            browser.open(crisis_url, ".o_form_view .o_field_widget[name=name]")
            browser.shot(path("phone_crisis_form"))
    finally:
        rpc(session, base, "res.users", "write", [[uid], {"lang": "en_US"}])
        rpc(
            session,
            base,
            "res.partner",
            "write",
            [[customer_lang["id"]], {"lang": customer_lang["lang"]}],
        )
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
