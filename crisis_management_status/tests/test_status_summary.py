"""The JSON summary of the status page: what integrators and other sites read."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.tests.common import CARD_OUTAGE, CrisisCase
from odoo.addons.crisis_management_status.controllers import status

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"


@tagged("post_install", "-at_install")
class TestStatusSummary(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["res.lang"]._activate_lang("zh_CN")
        env["crisis.crisis"].search([("is_published", "=", True)]).sudo().action_unpublish()
        cls.crisis = cls._create_card_outage_crisis()
        cls.crisis.with_user(cls.user_manager).action_publish()
        Update = env["crisis.update"].sudo()
        cls.update = Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "Payments are back",
                "body": "<p>Payments work <b>again</b> since noon.</p>",
                "is_public": True,
                "date_sent": fields.Datetime.now() - timedelta(hours=1),
            }
        )
        cls.update.update_field_translations("name", {"zh_CN": "支付已恢复"})
        Update.create(
            {
                "crisis_id": cls.crisis.id,
                "name": "Your voucher inside",
                "body": "<p>Private offer.</p>",
            }
        )
        cls.drill = cls._create_approved_crisis(
            public_title="Drill: data leak", public_statement=STATEMENT, is_drill=True
        )

    def setUp(self):
        super().setUp()
        status._VALUES.clear()
        self.addCleanup(status._VALUES.clear)
        self.authenticate(None, None)

    def assertCors(self, response):
        self.assertEqual(response.headers["Access-Control-Allow-Origin"], "*")
        self.assertEqual(response.headers["Access-Control-Allow-Methods"], "GET, OPTIONS")

    def test_summary_of_the_company_page(self):
        response = self.url_open("/status/summary.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertCors(response)
        self.assertEqual(response.headers["Cache-Control"], "public, max-age=60")
        self.assertNotIn("Set-Cookie", response.headers)
        data = response.json()
        base = self.crisis.get_base_url()
        self.assertEqual(data["company"]["name"], self.company.name)
        self.assertEqual(data["lang"], "en_US")
        self.assertEqual(len(data["crises"]), 1)
        crisis = data["crises"][0]
        self.assertEqual(crisis["id"], self.crisis.id)
        self.assertEqual(crisis["reference"], self.crisis.reference)
        self.assertEqual(crisis["title"], CARD_OUTAGE["title"])
        self.assertEqual(crisis["status"], self.crisis.customer_status)
        self.assertEqual(crisis["status_label"], "Investigating")
        self.assertEqual(crisis["url"], f"{base}/status/{self.crisis.id}")
        self.assertRegex(crisis["date_published"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIsNone(crisis["date_resolved"])
        self.assertEqual(len(crisis["updates"]), 1)
        update = crisis["updates"][0]
        self.assertEqual(update["id"], self.update.id)
        self.assertEqual(update["title"], "Payments are back")
        self.assertEqual(
            update["date"], self.update.date_sent.replace(microsecond=0).isoformat() + "Z"
        )
        self.assertEqual(update["body_html"], "<p>Payments work <b>again</b> since noon.</p>")
        self.assertEqual(update["body_text"], "Payments work *again* since noon.")
        self.assertEqual(update["url"], f"{base}/status/{self.crisis.id}#update-{self.update.id}")
        # never internal fields, private updates or drills
        for hidden in ("voucher", "Drill", "talking", "severity", self.user_crisis.name):
            self.assertNotIn(hidden, response.text)

    def test_summary_of_one_crisis_in_the_readers_language(self):
        response = self.url_open(f"/status/{self.crisis.id}/summary.json?lang=zh_CN")
        self.assertEqual(response.status_code, 200)
        self.assertCors(response)
        data = response.json()
        self.assertEqual(data["lang"], "zh_CN")
        self.assertEqual(data["crisis"]["title"], CARD_OUTAGE["title_zh"])
        self.assertEqual(data["crisis"]["updates"][0]["title"], "支付已恢复")

    def test_preflight(self):
        for url in ("/status/summary.json", f"/status/{self.crisis.id}/summary.json"):
            with self.subTest(url=url):
                response = self.opener.options(
                    self.base_url() + url,
                    headers={
                        "Origin": "https://example.org",
                        "Access-Control-Request-Method": "GET",
                    },
                    timeout=10,
                )
                self.assertEqual(response.status_code, 204)
                self.assertCors(response)
                self.assertIn("Access-Control-Max-Age", response.headers)
                self.assertNotIn("Set-Cookie", response.headers)

    def test_etag_and_not_modified(self):
        response = self.url_open("/status/summary.json")
        etag = response.headers["ETag"]
        self.assertRegex(etag, r'^"[0-9a-f]{40}"$')
        again = self.url_open("/status/summary.json", headers={"If-None-Match": etag})
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")
        self.assertCors(again)
        self.assertEqual(again.headers["ETag"], etag)
        # another language, another body: another tag
        other = self.url_open("/status/summary.json?lang=zh_CN", headers={"If-None-Match": etag})
        self.assertEqual(other.status_code, 200)
        self.assertNotEqual(other.headers["ETag"], etag)
        # a change of what the page shows: a new body
        self.update.sudo().name = "Payments are back for everyone"
        changed = self.url_open("/status/summary.json", headers={"If-None-Match": etag})
        self.assertEqual(changed.status_code, 200)
        self.assertIn("Payments are back for everyone", changed.text)

    def test_unknown_crisis_is_a_json_404(self):
        for url in (
            f"/status/{self.drill.id}/summary.json",
            "/status/999999/summary.json",
            "/status/99999999999999999999/summary.json",
            "/status/company/999999/summary.json",
            "/status/company/99999999999999999999/summary.json",
        ):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(
                    response.headers["Content-Type"], "application/json; charset=utf-8"
                )
                self.assertCors(response)
                self.assertEqual(response.json()["error"]["code"], 404)
