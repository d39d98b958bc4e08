"""The customer answers a compensation on their page, and rates there."""

import base64
import io

from PIL import Image

from odoo.exceptions import UserError
from odoo.http import Request
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CrisisCase

STATEMENT = "<p>Payments failed for six hours; every refused payment can be made again.</p>"
TALKING_POINTS = "<p>Internal only: do not mention the vendor Zebracorp.</p>"
GUARD_MESSAGE = "cannot be set directly"


def signature_png():
    """What Odoo's signature widget posts: a PNG, base64-encoded."""
    buffer = io.BytesIO()
    Image.new("RGBA", (120, 40), (0, 0, 139, 255)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@tagged("post_install", "-at_install")
class TestPortalCompensation(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.acme = env["res.partner"].create({"name": "Acme Corp", "is_company": True})
        cls.alice = env["res.partner"].create(
            {"name": "Alice Acme", "email": "alice@example.com", "parent_id": cls.acme.id}
        )
        cls.user_portal.partner_id.write({"parent_id": cls.acme.id, "email": "paula@example.com"})
        cls.zed = env["res.partner"].create({"name": "Zed Elsewhere", "email": "zed@example.com"})
        # requests Zed's compensation (nobody approves their own request)
        cls.user_requester = new_test_user(
            env,
            login="crisis_requester",
            name="Rita Requester-Manager",
            groups="crisis_management.group_crisis_manager",
        )
        cls.crisis = cls._create_crisis(
            public_title="Card payments outage",
            public_statement=STATEMENT,
            talking_points=TALKING_POINTS,
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        env["crisis.impact"]._link_partners(cls.crisis, (cls.alice | cls.zed).ids)
        lines = {impact.partner_id: impact for impact in cls.crisis.impact_ids}
        cls.alice_line, cls.zed_line = lines[cls.alice], lines[cls.zed]
        # Carol is Alice's agent; Zed's line has none
        cls.alice_line.write({"user_id": cls.user_crisis.id, "feedback": "Angry, wants a call"})
        cls.offer = cls._approved(
            cls.alice_line, cls.user_crisis, description="A voucher for your next purchase"
        )
        cls.draft = (
            env["crisis.compensation"]
            .with_user(cls.user_crisis)
            .create({"impact_id": cls.alice_line.id, "type": "refund", "amount": 99.0})
        )
        cls.zed_offer = cls._approved(cls.zed_line, cls.user_requester)
        cls.todo = env.ref("mail.mail_activity_data_todo")

    @classmethod
    def _approved(cls, line, requester, amount=20.0, **values):
        compensation = (
            cls.env["crisis.compensation"]
            .with_user(requester)
            .create({"impact_id": line.id, "type": "voucher", "amount": amount, **values})
        )
        compensation.action_submit()
        compensation.with_user(cls.user_manager).action_approve()
        return compensation.with_env(cls.env)

    # ------------------------------------------------------------------

    def _accept_url(self, compensation, line=None, token=None):
        line = line or compensation.impact_id
        url = f"/my/crises/{line.id}/compensation/{compensation.id}/accept"
        return f"{url}?access_token={token}" if token else url

    def _accept(self, compensation, line=None, token=None, name="Alice Acme", signature=None):
        return self.make_jsonrpc_request(
            self._accept_url(compensation, line, token),
            {"name": name, "signature": signature},
        )

    def _decline(self, compensation, line=None, token=None, reason="I want a refund instead"):
        line = line or compensation.impact_id
        url = f"/my/crises/{line.id}/compensation/{compensation.id}/decline"
        if token:
            url += f"?access_token={token}"
        if not getattr(self, "session", None):
            self.authenticate(None, None)
        return self.url_open(
            url, data={"decline_reason": reason, "csrf_token": Request.csrf_token(self)}
        )

    def _todos(self, compensation):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crisis.compensation"),
                ("res_id", "=", compensation.id),
                ("activity_type_id", "=", self.todo.id),
            ]
        )

    def assertUnanswered(self, compensation, why):
        self.env.invalidate_all()
        self.assertEqual(compensation.customer_response, "none", why)
        self.assertEqual(compensation.state, "approved", why)
        self.assertFalse(compensation.customer_response_date, why)
        self.assertFalse(self._todos(compensation), why)

    # ------------------------------------------------------------------
    # The page
    # ------------------------------------------------------------------

    def test_page_shows_the_offered_compensation_only(self):
        page = self.url_open(self.alice_line.get_portal_url()).text
        self.assertIn('id="crisis_compensations"', page)
        self.assertIn("Your compensation", page)
        self.assertIn(self.offer.reference, page)
        self.assertIn("Voucher", page, "the type, in words")
        self.assertIn("20.00", page, "the amount with its currency")
        self.assertIn(self.offer.currency_id.symbol, page)
        self.assertIn("A voucher for your next purchase", page)
        self.assertIn("Waiting for your answer", page)
        self.assertIn(f"crisis_compensation_accept_{self.offer.id}", page)
        self.assertIn(f"crisis_compensation_decline_{self.offer.id}", page)
        self.assertIn("o_crisis_compensation_accept", page)
        # nothing the customer was not offered, nothing internal
        self.assertNotIn(self.draft.reference, page, "a request not approved")
        self.assertNotIn(self.zed_offer.reference, page, "another customer's")
        self.assertNotIn("Zebracorp", page)
        self.assertNotIn("Angry", page)
        self.assertNotIn("Marc Crisis-Manager", page, "the approver is internal")

    def test_offer_email_links_to_the_answer(self):
        template = self.env.ref("crisis_management.mail_template_compensation_offer")
        body = template._render_field("body_html", self.offer.ids)[self.offer.id]
        self.assertIn(
            f"/my/crises/{self.alice_line.id}?access_token={self.alice_line.access_token}"
            "#crisis_compensations",
            body,
        )
        self.assertIn("Accept or decline the offer", body)
        # once answered, the email only links to the page
        self.offer._crisis_portal_accept("Alice Acme")
        body = template._render_field("body_html", self.offer.ids)[self.offer.id]
        self.assertNotIn("#crisis_compensations", body)
        self.assertIn(self.alice_line.get_portal_url(), body)

    # ------------------------------------------------------------------
    # Accept
    # ------------------------------------------------------------------

    def test_accept_with_token_and_signature(self):
        token = self.alice_line.access_token
        result = self._accept(
            self.offer, token=token, name="  Alice Acme ", signature=signature_png()
        )
        self.assertNotIn("error", result)
        self.assertTrue(result["force_refresh"])
        self.assertIn("message=compensation_accepted", result["redirect_url"])
        self.assertTrue(result["redirect_url"].endswith("#crisis_compensations"))
        offer = self.offer
        self.env.invalidate_all()
        self.assertEqual(offer.customer_response, "accepted")
        self.assertEqual(offer.customer_signed_by, "Alice Acme")
        self.assertTrue(offer.customer_response_date)
        self.assertEqual(offer.customer_response_ip, "127.0.0.1")
        self.assertTrue(offer.customer_signature)
        self.assertEqual(offer.state, "approved", "delivered later by the agent")
        # the message of the customer, with the signature attached
        message = offer.message_ids.filtered(
            lambda m: m.message_type == "comment" and "accepted by" in str(m.body)
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.alice)
        self.assertIn("Alice Acme", str(message.body))
        self.assertEqual(message.attachment_ids.mimetype, "image/png")
        # the tracking is the customer's too
        tracking = offer.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "customer_response"
        )
        self.assertEqual(tracking.mail_message_id.author_id, self.alice)
        # the agent delivers it
        todo = self._todos(offer)
        self.assertEqual(todo.user_id, self.user_crisis, "the line's agent")
        self.assertIn(offer.reference, todo.summary)
        self.assertIn("Deliver", todo.summary)
        offer.with_user(self.user_crisis).action_deliver()
        self.assertEqual(offer.state, "delivered")
        page = self.url_open(self.alice_line.get_portal_url()).text
        self.assertIn("Accepted by", page)
        self.assertIn("Delivered", page)
        self.assertNotIn(f"crisis_compensation_accept_{offer.id}", page, "answered once")

    def test_accept_without_signature_goes_to_the_requester(self):
        """Zed's line has no agent: the requester delivers it."""
        result = self._accept(self.zed_offer, token=self.zed_line.access_token, name="Zed")
        self.assertNotIn("error", result)
        self.env.invalidate_all()
        self.assertEqual(self.zed_offer.customer_response, "accepted")
        self.assertFalse(self.zed_offer.customer_signature)
        message = self.zed_offer.message_ids.filtered(lambda m: "without signature" in str(m.body))
        self.assertEqual(message.author_id, self.zed)
        self.assertFalse(message.attachment_ids)
        self.assertEqual(self._todos(self.zed_offer).user_id, self.user_requester)

    def test_accept_refused(self):
        token = self.alice_line.access_token
        cases = [
            # wrong token
            (self.offer, self.alice_line, "nope"),
            # another line's token with this compensation's id (IDOR)
            (self.offer, self.alice_line, self.zed_line.access_token),
            (self.offer, self.zed_line, token),
            # my token on my line, another line's compensation (IDOR)
            (self.zed_offer, self.alice_line, token),
            # logged out, without token
            (self.offer, self.alice_line, None),
            # a request not approved
            (self.draft, self.alice_line, token),
        ]
        for compensation, line, access_token in cases:
            with self.subTest(compensation=compensation.reference, token=access_token):
                result = self._accept(compensation, line=line, token=access_token)
                self.assertEqual(result["error"], "This compensation is not available.")
        self.assertUnanswered(self.offer, "nothing answered")
        self.assertUnanswered(self.zed_offer, "nothing answered")
        self.assertEqual(self.draft.state, "draft")
        self.assertEqual(self.draft.customer_response, "none")
        # the name is required
        result = self._accept(self.offer, token=token, name="  ")
        self.assertIn("type your name", result["error"])
        # a signature is an image
        forged = base64.b64encode(b"<svg onload='alert(1)'/>").decode()
        result = self._accept(self.offer, token=token, signature=forged)
        self.assertIn("signature could not be read", result["error"])
        self.assertUnanswered(self.offer, "refused answers leave nothing")

    def test_portal_user_of_another_customer(self):
        self.authenticate("portal_other", "portal_other")
        result = self._accept(self.offer)
        self.assertEqual(result["error"], "This compensation is not available.")
        response = self._decline(self.offer)
        self.assertNotIn("compensation_declined", response.url)
        self.assertUnanswered(self.offer, "a portal user of another customer")

    def test_answering_twice(self):
        token = self.alice_line.access_token
        self.assertNotIn("error", self._accept(self.offer, token=token))
        result = self._accept(self.offer, token=token, name="Someone Else")
        self.assertIn("already answered", result["error"])
        response = self._decline(self.offer, token=token)
        self.assertIn("message=compensation_not_answered", response.url)
        self.assertIn("could not be recorded", response.text)
        self.env.invalidate_all()
        self.assertEqual(self.offer.customer_response, "accepted")
        self.assertEqual(self.offer.customer_signed_by, "Alice Acme")
        self.assertEqual(self.offer.state, "approved")
        self.assertEqual(len(self._todos(self.offer)), 1)

    # ------------------------------------------------------------------
    # Decline
    # ------------------------------------------------------------------

    def test_decline_with_token_goes_back_to_the_agent(self):
        self.assertEqual(self.alice_line.compensation_total, 20.0)
        self.assertEqual(self.crisis.compensation_total, 40.0)
        response = self._decline(self.offer, token=self.alice_line.access_token)
        self.assertIn("message=compensation_declined", response.url)
        self.assertIn("Your answer is recorded", response.text)
        offer = self.offer
        self.env.invalidate_all()
        self.assertEqual(offer.customer_response, "declined")
        self.assertEqual(offer.customer_decline_reason, "I want a refund instead")
        self.assertEqual(offer.customer_response_ip, "127.0.0.1")
        self.assertTrue(offer.customer_response_date)
        self.assertFalse(offer.customer_signed_by)
        self.assertEqual(offer.state, "cancelled", "never delivered")
        # counts: a declined offer is no longer a committed cost
        self.assertEqual(self.alice_line.compensation_total, 0.0)
        self.assertEqual(self.crisis.compensation_total, 20.0)
        message = offer.message_ids.filtered(lambda m: "I want a refund instead" in str(m.body))
        self.assertEqual(message.author_id, self.alice)
        todo = self._todos(offer)
        self.assertEqual(todo.user_id, self.user_crisis)
        self.assertIn("declined", todo.summary)
        self.assertIn("I want a refund instead", str(todo.note))
        with self.assertRaisesRegex(UserError, "declined by the customer"):
            offer.with_user(self.user_crisis).action_deliver()
        self.assertEqual(offer.state, "cancelled")
        page = self.url_open(self.alice_line.get_portal_url()).text
        self.assertIn("Declined", page)
        self.assertIn("I want a refund instead", page)

    def test_decline_as_portal_user_of_the_company(self):
        """Paula, of Alice's company, answers on Alice's line without token."""
        self.authenticate("portal_customer", "portal_customer")
        response = self._decline(self.offer, reason="We prefer a credit")
        self.assertIn("message=compensation_declined", response.url)
        self.env.invalidate_all()
        self.assertEqual(self.offer.customer_response, "declined")
        message = self.offer.message_ids.filtered(lambda m: "We prefer a credit" in str(m.body))
        self.assertEqual(message.author_id, self.user_portal.partner_id)

    def test_decline_refused(self):
        token = self.alice_line.access_token
        for compensation, line, access_token in [
            (self.offer, self.alice_line, "nope"),
            (self.offer, self.alice_line, self.zed_line.access_token),
            (self.zed_offer, self.alice_line, token),
            (self.offer, self.alice_line, None),
            (self.draft, self.alice_line, token),
        ]:
            with self.subTest(compensation=compensation.reference, token=access_token):
                response = self._decline(compensation, line=line, token=access_token)
                self.assertNotIn("compensation_declined", response.url)
        # the reason is required
        response = self._decline(self.offer, token=token, reason=" ")
        self.assertIn("message=compensation_not_answered", response.url)
        self.assertUnanswered(self.offer, "nothing declined")
        self.assertUnanswered(self.zed_offer, "nothing declined")
        self.assertEqual(self.draft.state, "draft")
        # without the form's CSRF token, nothing either
        with self.assertLogs("odoo.http", "WARNING") as logs:
            response = self.url_open(
                f"/my/crises/{self.alice_line.id}/compensation/{self.offer.id}/decline"
                f"?access_token={token}",
                data={"decline_reason": "Forged"},
            )
        self.assertEqual(response.status_code, 400)
        self.assertIn("No CSRF validation token", logs.output[0])
        self.assertUnanswered(self.offer, "a POST without CSRF token")

    # ------------------------------------------------------------------
    # The model layer
    # ------------------------------------------------------------------

    def test_answer_fields_are_guarded(self):
        forged = {
            "customer_response": "accepted",
            "customer_signed_by": "Forged",
            "customer_signature": signature_png(),
            "customer_response_date": "2026-01-02 03:04:05",
            "customer_response_ip": "10.0.0.1",
            "customer_decline_reason": "Forged",
        }
        for name, value in forged.items():
            with self.subTest(field=name):
                with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
                    self.offer.with_user(self.user_crisis).write({name: value})
                with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
                    self.offer.with_user(self.user_manager).write({name: value})
                with self.assertRaises(UserError):  # AccessError or the guard
                    self.offer.with_user(self.user_portal).write({name: value})
                with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
                    self.env["crisis.compensation"].with_user(self.user_crisis).create(
                        {"impact_id": self.alice_line.id, "amount": 5.0, name: value}
                    )
        self.assertUnanswered(self.offer, "nothing forged")

    def test_model_errors(self):
        with self.assertRaisesRegex(UserError, "only an offered compensation"):
            self.draft._crisis_portal_accept("Alice Acme")
        with self.assertRaisesRegex(UserError, "type your name"):
            self.offer._crisis_portal_accept("")
        with self.assertRaisesRegex(UserError, "tell us why"):
            self.offer._crisis_portal_decline("")
        drill = self._create_crisis(public_statement=STATEMENT, is_drill=True)
        self.env["crisis.impact"]._link_partners(drill, self.alice.ids)
        drill_offer = self._approved(drill.impact_ids, self.user_requester)
        with self.assertRaisesRegex(UserError, "drill"):
            drill_offer._crisis_portal_accept("Alice Acme")
        self.offer._crisis_portal_decline("<img src=x onerror=alert(1)>No thanks", ip="10.1.2.3")
        with self.assertRaisesRegex(UserError, "already answered"):
            self.offer._crisis_portal_accept("Alice Acme")
        self.assertEqual(self.offer.customer_response_ip, "10.1.2.3")
        # the customer's words are text in the team's chatter and To-Do
        message = self.offer.message_ids.filtered(lambda m: "No thanks" in str(m.body))
        self.assertIn("&lt;img", str(message.body))
        self.assertIn("&lt;img", str(self._todos(self.offer).note))

    # ------------------------------------------------------------------
    # Rating
    # ------------------------------------------------------------------

    def test_rating_only_once_resolved(self):
        line = self.alice_line
        page = self.url_open(line.get_portal_url()).text
        self.assertNotIn('id="crisis_rating"', page)
        self.assertNotIn("/rate/", page)
        # resolved: the satisfaction request's token, not a second one
        self.crisis.stage_id = self.stage_resolved
        token = line._rating_get_access_token()
        page = self.url_open(line.get_portal_url()).text
        self.env.invalidate_all()
        self.assertIn('id="crisis_rating"', page)
        for score in (5, 3, 1):
            self.assertIn(f'href="/rate/{token}/{score}"', page)
        self.assertEqual(len(line.rating_ids), 1)
        # Odoo's rating link, then the page shows the rating given
        self.assertEqual(self.url_open(f"/rate/{token}/5").status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(line.rating_ids.rating, 5)
        page = self.url_open(line.get_portal_url()).text
        self.env.invalidate_all()
        self.assertIn("You told us", page)
        self.assertIn("Satisfied", page)
        self.assertIn(f'href="/rate/{token}/1"', page, "the answer can change")
        self.assertEqual(len(line.rating_ids), 1)

    # ------------------------------------------------------------------
    # The customer's tour
    # ------------------------------------------------------------------

    def test_customer_page_tour(self):
        """A logged-out customer opens the emailed link, reads the statement and
        an update, accepts the compensation and writes to the team."""
        # a message other than the statement, approved by a Crisis Manager (test_four_eyes.py)
        crisis = self.crisis.with_user(self.user_manager)
        crisis._crisis_request_message_approval("<p>The card readers are replaced.</p>")
        crisis.action_approve_edited_message()
        self.env["crisis.update"].with_user(self.user_crisis)._crisis_queue(
            self.crisis,
            self.alice_line,
            self.env.ref("crisis_management.mail_template_impact_progress"),
            "progress",
            body="<p>The card readers are replaced.</p>",
            name="Card readers replaced",
        )
        self.start_tour(
            self.alice_line.get_portal_url(), "crisis_management_customer_page_tour", login=None
        )
        self.env.invalidate_all()
        self.assertEqual(self.offer.customer_response, "accepted")
        self.assertEqual(self.offer.customer_signed_by, "Alice A. Acme")
        self.assertTrue(self.offer.customer_signature, "signed with the typed name")
        self.assertEqual(self._todos(self.offer).user_id, self.user_crisis)
        message = self.env["mail.message"].search(
            [
                ("model", "=", "crisis.impact"),
                ("res_id", "=", self.alice_line.id),
                ("body", "ilike", "Thank you for the voucher"),
            ]
        )
        self.assertEqual(len(message), 1)
        self.assertEqual(message.author_id, self.alice)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
