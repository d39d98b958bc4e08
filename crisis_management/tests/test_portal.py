"""The affected customer's page (Odoo's portal): what it shows, to whom."""

from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import CrisisCase

STATEMENT = "<p>Payments failed for six hours; every refused payment can be made again.</p>"
TALKING_POINTS = "<p>Internal only: do not mention the vendor Zebracorp.</p>"
CUSTOM_BODY = "<p>The faulty card reader firmware is replaced in every store.</p>"
OTHER_BODY = "<p>A word for one other customer only.</p>"


@tagged("post_install", "-at_install")
class TestPortal(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company.write({"email": "crisis-desk@example.com", "phone": "+1 555-0100"})
        # a customer company: Alice works there, and so does Paula (portal user)
        cls.acme = env["res.partner"].create({"name": "Acme Corp", "is_company": True})
        cls.alice = env["res.partner"].create(
            {"name": "Alice Acme", "email": "alice@example.com", "parent_id": cls.acme.id}
        )
        cls.paula = cls.user_portal.partner_id
        cls.paula.write({"parent_id": cls.acme.id, "email": "paula@example.com"})
        cls.zed = env["res.partner"].create({"name": "Zed Elsewhere", "email": "zed@example.com"})
        Impact = env["crisis.impact"]

        cls.crisis = cls._create_crisis(
            public_title="Card payments outage",
            public_statement=STATEMENT,
            talking_points=TALKING_POINTS,
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        Impact._link_partners(cls.crisis, (cls.alice | cls.paula | cls.zed).ids)
        cls.line = {impact.partner_id: impact for impact in cls.crisis.impact_ids}
        cls.alice_line = cls.line[cls.alice]
        cls.alice_line.write({"user_id": cls.user_crisis.id, "feedback": "Angry, wants a call"})

        # a drill, and a crisis whose statement is not approved: never shown
        cls.drill = cls._create_crisis(
            public_title="Rehearsed outage", public_statement=STATEMENT, is_drill=True
        )
        cls.drill.with_user(cls.user_manager).action_approve_statement()
        cls.draft = cls._create_crisis(public_title="Unannounced outage")
        Impact._link_partners(cls.drill, cls.alice.ids)
        Impact._link_partners(cls.draft, cls.alice.ids)
        cls.drill_line = cls.drill.impact_ids

        # the updates: the statement to all, a progress update to Alice,
        # another one to Zed only
        Update = env["crisis.update"].with_user(cls.user_crisis)
        ref = env.ref

        def approved(body):
            """``body``, approved for the customers by a Crisis Manager (test_four_eyes.py)."""
            cls.crisis.with_user(cls.user_manager)._crisis_request_message_approval(body)
            cls.crisis.with_user(cls.user_manager).action_approve_edited_message()
            return body

        cls.initial = Update._crisis_queue(
            cls.crisis,
            cls.crisis.impact_ids,
            ref("crisis_management.mail_template_impact_initial"),
            "initial",
        )
        cls.progress = Update._crisis_queue(
            cls.crisis,
            cls.alice_line,
            ref("crisis_management.mail_template_impact_progress"),
            "progress",
            body=approved(CUSTOM_BODY),
            name="Card readers replaced",
        )
        cls.other = Update._crisis_queue(
            cls.crisis,
            cls.line[cls.zed],
            ref("crisis_management.mail_template_impact_progress"),
            "progress",
            body=approved(OTHER_BODY),
            name="Just for Zed",
        )

    def _open(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return response

    def assertNotShown(self, response, why):
        self.assertNotIn("six hours", response.text, why)
        self.assertNotIn("Card payments outage", response.text, why)

    # ------------------------------------------------------------------

    def test_email_links_to_page(self):
        self.assertEqual(self.initial.queued_count, 3)
        mail = self.env["mail.mail"].search(
            [("model", "=", "crisis.impact"), ("res_id", "=", self.alice_line.id)], limit=1
        )
        token = self.alice_line.access_token
        self.assertTrue(token)
        self.assertIn(
            f"{self.alice_line.get_base_url()}/my/crises/{self.alice_line.id}"
            f"?access_token={token}",
            mail.body_html,
        )
        self.assertNotEqual(token, self.line[self.zed].access_token, "a token per line")

    def test_token_shows_statement_and_updates(self):
        self.alice_line.sudo().message_post(body="Called her: no answer", message_type="comment")
        response = self._open(self.alice_line.get_portal_url())
        page = response.text
        self.assertIn("Card payments outage", page)
        self.assertIn(self.crisis.reference, page)
        self.assertIn("Investigating", page, "the customer status, in words")
        self.assertIn("six hours", page, "the approved statement")
        self.assertIn(self.initial.name, page)
        self.assertIn("Card readers replaced", page)
        self.assertIn("card reader firmware", page, "the body of an update sent to her")
        self.assertIn("crisis-desk@example.com", page)
        self.assertIn("+1 555-0100", page)
        self.assertIn("Carol Crisis-User", page, "her agent")
        self.assertIn("o_portal_chatter", page)
        # internal content never leaks
        self.assertNotIn("Zebracorp", page, "talking points are internal")
        self.assertNotIn("Angry", page, "the agent's notes are internal")
        self.assertNotIn("Just for Zed", page, "another customer's update")
        self.assertNotIn("one other customer", page)
        self.assertNotIn("Zed Elsewhere", page)
        self.assertNotIn("Checkout down", page, "the internal title")
        self.assertNotIn("Rehearsed outage", page)

    def test_page_in_customer_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.alice.lang = "zh_CN"
        self.crisis.update_field_translations("public_title", {"zh_CN": "银行卡支付中断"})
        self.crisis.with_user(self.user_manager).action_approve_statement()
        page = self._open(self.alice_line.get_portal_url()).text
        self.assertIn("银行卡支付中断", page, "the customer's language, without login")
        self.assertNotIn("Card payments outage", page)

    def test_next_update_is_promised_only_ahead(self):
        self.crisis.update_interval_hours = 24
        self.crisis.sudo().date_last_update = fields.Datetime.now() - timedelta(hours=2)
        page = self._open(self.alice_line.get_portal_url()).text
        self.assertIn("We will write to you again by", page)
        # the time is past (the team is late): no date behind us is promised
        self.crisis.sudo().date_last_update = fields.Datetime.now() - timedelta(days=3)
        page = self._open(self.alice_line.get_portal_url()).text
        self.assertNotIn("We will write to you again by", page)
        self.assertIn("as soon as there is news", page)

    def test_statement_is_shown_only_approved(self):
        self.crisis.sudo().statement_state = "draft"
        response = self.url_open(self.alice_line.get_portal_url())
        self.assertNotShown(response, "a crisis whose statement is not approved is not shown")

    def test_wrong_token(self):
        response = self.url_open(f"/my/crises/{self.alice_line.id}?access_token=nope")
        self.assertNotShown(response, "a wrong token opens nothing")
        self.assertIn("/web/login", response.url)

    def test_token_of_another_line(self):
        zed_token = self.line[self.zed].access_token
        response = self.url_open(f"/my/crises/{self.alice_line.id}?access_token={zed_token}")
        self.assertNotShown(response, "another line's token")
        # and my token on another line's id (IDOR)
        response = self.url_open(
            f"/my/crises/{self.line[self.zed].id}?access_token={self.alice_line.access_token}"
        )
        self.assertNotIn("Zed Elsewhere", response.text)
        self.assertNotShown(response, "my token does not open another customer's line")

    def test_logged_out_without_token(self):
        response = self.url_open(f"/my/crises/{self.alice_line.id}")
        self.assertIn(f"/web/login?redirect=/my/crises/{self.alice_line.id}", response.url)
        self.assertNotShown(response, "a logged-out visitor logs in first")

    def test_drill_line(self):
        response = self.url_open(self.drill_line.get_portal_url())
        self.assertNotIn("Rehearsed outage", response.text, "drills never reach customers")
        self.authenticate("portal_customer", "portal_customer")
        response = self.url_open("/my/crises")
        self.assertNotIn("Rehearsed outage", response.text)

    def test_portal_user_of_another_customer(self):
        self.authenticate("portal_other", "portal_other")
        response = self.url_open(f"/my/crises/{self.alice_line.id}")
        self.assertNotShown(response, "a portal user of another customer")
        self.assertTrue(response.url.endswith("/my") or "/my/home" in response.url)
        response = self._open("/my/crises")
        self.assertNotIn("Card payments outage", response.text)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["crisis_count"]})
        self.assertEqual(counters["crisis_count"], 0)

    def test_my_crises_of_commercial_entity(self):
        self.authenticate("portal_customer", "portal_customer")
        response = self._open("/my/crises")
        page = response.text
        self.assertIn("Card payments outage", page)
        self.assertIn("Alice Acme", page, "a colleague's line of the same company")
        self.assertIn("Paula Portal", page)
        self.assertNotIn("Zed Elsewhere", page)
        self.assertNotIn("Unannounced outage", page, "no approved statement yet")
        self.assertNotIn("Rehearsed outage", page)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["crisis_count"]})
        self.assertEqual(counters["crisis_count"], 2)
        # the line of the commercial entity opens without token
        response = self._open(f"/my/crises/{self.alice_line.id}")
        self.assertIn("six hours", response.text)
        self.assertNotIn("Zebracorp", response.text)
        # not the other customer's
        response = self.url_open(f"/my/crises/{self.line[self.zed].id}")
        self.assertNotIn("Zed Elsewhere", response.text)

    def test_post_message_with_token(self):
        line = self.alice_line
        followers = line.message_partner_ids
        self.assertIn(self.user_crisis.partner_id, followers, "the agent follows the line")
        result = self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "crisis.impact",
                "thread_id": line.id,
                "post_data": {
                    "body": "Where can I pay again?",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
                "token": line.access_token,
            },
        )
        self.assertTrue(result)
        message = self.env["mail.message"].search(
            [("model", "=", "crisis.impact"), ("res_id", "=", line.id)], limit=1, order="id desc"
        )
        self.assertIn("Where can I pay again?", str(message.body))
        self.assertEqual(message.author_id, self.alice, "posted as the line's customer")
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertEqual(
            message.notification_ids.res_partner_id,
            followers - self.alice,
            "the line's followers are notified",
        )
        # the customer's chatter: the conversation, never the internal notes
        line.sudo().message_post(body="Internal: she sounded upset", message_type="comment")
        fetched = self.make_jsonrpc_request(
            "/mail/chatter_fetch",
            {"thread_model": "crisis.impact", "thread_id": line.id, "token": line.access_token},
        )
        bodies = " ".join(str(m["body"]) for m in fetched["data"]["mail.message"])
        self.assertIn("Where can I pay again?", bodies)
        self.assertNotIn("she sounded upset", bodies, "notes are internal")
        self.assertNotIn("card reader", bodies, "the emails are in the timeline, not the chat")
        # a wrong token posts nothing
        with self.assertRaises(Exception):  # noqa: B017 - the route answers NotFound
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "crisis.impact",
                    "thread_id": self.line[self.zed].id,
                    "post_data": {"body": "Sneaky", "message_type": "comment"},
                    "token": line.access_token,
                },
            )

    def test_chatter_refuses_lines_the_page_refuses(self):
        """Odoo's portal chatter opens a line by its token: not a drill's line,
        nor a line of a crisis whose statement is not approved, as the page."""
        draft_line = self.draft.impact_ids
        for line, why in ((self.drill_line, "a drill"), (draft_line, "statement not approved")):
            with self.subTest(why=why):
                self.assertTrue(line.access_token)
                with self.assertRaises(Exception):  # noqa: B017 - the route answers NotFound
                    self.make_jsonrpc_request(
                        "/mail/message/post",
                        {
                            "thread_model": "crisis.impact",
                            "thread_id": line.id,
                            "post_data": {"body": "Posted anyway", "message_type": "comment"},
                            "token": line.access_token,
                        },
                    )
                with self.assertRaises(Exception):  # noqa: B017 - the route answers NotFound
                    self.make_jsonrpc_request(
                        "/mail/chatter_fetch",
                        {
                            "thread_model": "crisis.impact",
                            "thread_id": line.id,
                            "token": line.access_token,
                        },
                    )
                self.assertFalse(
                    line.message_ids.filtered(lambda m: "Posted anyway" in str(m.body))
                )
        # the line the page shows still opens
        fetched = self.make_jsonrpc_request(
            "/mail/chatter_fetch",
            {
                "thread_model": "crisis.impact",
                "thread_id": self.alice_line.id,
                "token": self.alice_line.access_token,
            },
        )
        self.assertIn("mail.message", fetched["data"])
