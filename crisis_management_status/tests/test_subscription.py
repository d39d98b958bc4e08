"""Subscriptions to a published crisis from its public status page (double opt-in)."""

import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.tests.common import CrisisCase
from odoo.addons.crisis_management_status.models.crisis_subscription import (
    PARAM_CRISIS_LIMIT,
    PARAM_IP_LIMIT,
)

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CONFIRM_LINK = re.compile(r'href="[^"]*(/status/subscription/\d+/[\w-]+)"')
SENT = "Check your inbox"
INVALID = "This link is not valid"


@tagged("post_install", "-at_install")
class TestSubscription(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # led by a Crisis User: they may change its lines, not the subscriber flag
        cls.crisis = cls._create_published_crisis(
            public_title="Checkout unavailable", public_statement=STATEMENT
        )
        cls.Subscription = cls.env["crisis.subscription"]
        # the tests come from one address: room for them, the limit test sets its own
        cls.env["ir.config_parameter"].sudo().set_param(PARAM_IP_LIMIT, 100)

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _csrf(self, response):
        match = CSRF_INPUT.search(response.text)
        self.assertTrue(match, "the page has a form with the visitor's CSRF token")
        return match.group(1)

    def _form(self, crisis=None, query=""):
        crisis = crisis or self.crisis
        return self.url_open(f"/status/{crisis.id}/subscribe{query}")

    def _subscribe(self, email, crisis=None, lang=None, **extra):
        """A logged-out visitor sends the form of ``crisis``; the answer."""
        crisis = crisis or self.crisis
        self.authenticate(None, None)
        form = self._form(crisis, f"?lang={lang}" if lang else "")
        self.assertEqual(form.status_code, 200)
        data = {"csrf_token": self._csrf(form), "email": email, "website": ""}
        if lang:
            data["lang"] = lang
        data.update(extra)
        return self.url_open(f"/status/{crisis.id}/subscribe", data=data)

    def _requests(self, email=None, crisis=None):
        domain = [("crisis_id", "=", (crisis or self.crisis).id)]
        if email:
            domain.append(("email", "=", email))
        return self.Subscription.sudo().search(domain, order="id")

    def _mails(self, subscriptions):
        return (
            self.env["mail.mail"]
            .sudo()
            .search(
                [("model", "=", "crisis.subscription"), ("res_id", "in", subscriptions.ids)],
                order="id",
            )
        )

    def _link(self, subscription):
        mail = self._mails(subscription)
        self.assertEqual(len(mail), 1)
        match = CONFIRM_LINK.search(mail.body_html)
        self.assertTrue(match, "the email carries the confirmation link")
        return match.group(1)

    def _confirm(self, path):
        """Open the emailed link and press Confirm: the POST's answer (not followed)."""
        self.authenticate(None, None)
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200, page.text)
        return self.url_open(path, data={"csrf_token": self._csrf(page)}, allow_redirects=False)

    def _answer(self, response):
        """The answer page without what changes per session (its CSRF tokens)."""
        text = re.sub(r'csrf_token: "[^"]*"', "", response.text)
        return CSRF_INPUT.sub("", text)

    def _age(self, subscriptions, **delta):
        subscriptions.sudo().write({"date_requested": fields.Datetime.now() - timedelta(**delta)})

    # ------------------------------------------------------------------
    # The status page and the form
    # ------------------------------------------------------------------

    def test_status_page_stays_cacheable_and_links_to_the_form(self):
        self.authenticate(None, None)
        for url in (f"/status/{self.crisis.id}", "/status"):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Cache-Control"], "public, max-age=30")
                self.assertIn(f"/status/{self.crisis.id}/subscribe", response.text)
                self.assertIn("Subscribe to updates", response.text)
                # no form with a session's token in a page proxies give to everyone
                self.assertNotIn('name="csrf_token"', response.text)
                self.assertNotIn("session_id", response.headers.get("Set-Cookie", ""))
        # the form itself: never cached, with the visitor's token and the robots' field
        form = self._form()
        self.assertEqual(form.status_code, 200)
        self.assertEqual(form.headers["Cache-Control"], "no-store")
        self.assertTrue(self._csrf(form))
        self.assertIn('name="website"', form.text)
        self.assertIn('aria-hidden="true"', form.text)
        self.assertIn("Checkout unavailable", form.text)
        # a resolved crisis offers no subscription on its page
        self.crisis.stage_id = self.stage_resolved
        page = self.url_open(f"/status/{self.crisis.id}")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn(f"/status/{self.crisis.id}/subscribe", page.text)

    def test_subscribe_queues_the_confirmation_in_the_visitors_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.crisis.with_context(lang="zh_CN").public_title = "结账不可用"
        self.crisis.with_user(self.user_manager).action_approve_statement()
        page = self.url_open(f"/status/{self.crisis.id}?lang=zh_CN").text
        self.assertIn(f"/status/{self.crisis.id}/subscribe?lang=zh_CN", page)

        response = self._subscribe("  Visitor.One@Example.COM ", lang="zh_CN")
        self.assertEqual(response.status_code, 200)
        self.assertIn(SENT, response.text)
        subscription = self._requests()
        self.assertEqual(len(subscription), 1)
        self.assertRecordValues(
            subscription,
            [
                {
                    "email": "visitor.one@example.com",
                    "lang": "zh_CN",
                    "state": "pending",
                    "request_ip": "127.0.0.1",
                    "partner_id": False,
                    "impact_id": False,
                }
            ],
        )
        self.assertGreaterEqual(len(subscription.token), 32)
        mail = self._mails(subscription)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "queued, not sent during the request")
        self.assertEqual(mail.email_to, "visitor.one@example.com")
        self.assertIn("结账不可用", mail.subject, "rendered in the visitor's language")
        self.assertIn(
            f"/status/subscription/{subscription.id}/{subscription.token}", mail.body_html
        )
        # nobody is an affected customer before the confirmation
        self.assertFalse(self.crisis.impact_ids)

    # ------------------------------------------------------------------
    # Confirmation
    # ------------------------------------------------------------------

    def test_confirm_by_post_only_then_the_customer_page(self):
        self._subscribe("new.visitor@example.com", lang="en_US")
        subscription = self._requests()
        path = self._link(subscription)
        # opening the link (a mail server's scanner does) confirms nothing
        self.authenticate(None, None)
        page = self.url_open(path)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Confirm your subscription", page.text)
        self.assertIn("new.visitor@example.com", page.text)
        self.assertEqual(subscription.state, "pending")
        self.assertFalse(self.crisis.impact_ids)
        # pressing Confirm does
        partners_before = self.env["res.partner"].search_count([])
        response = self.url_open(
            path, data={"csrf_token": self._csrf(page)}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 303)
        impact = self.crisis.impact_ids
        self.assertEqual(len(impact), 1)
        self.assertTrue(
            response.headers["Location"].endswith(
                f"/my/crises/{impact.id}?access_token={impact.access_token}"
            )
        )
        self.assertRecordValues(impact, [{"is_subscriber": True, "impact_level": "low"}])
        partner = impact.partner_id
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before + 1)
        self.assertRecordValues(
            partner,
            [
                {
                    "email": "new.visitor@example.com",
                    "company_id": self.company.id,
                    "lang": "en_US",
                }
            ],
        )
        self.assertRecordValues(
            subscription,
            [{"state": "confirmed", "partner_id": partner.id, "impact_id": impact.id}],
        )
        self.assertTrue(subscription.date_confirmed)
        self.assertTrue(
            impact.message_ids.filtered(
                lambda m: "Subscribed from the public status page" in m.body
            )
        )
        # the customer's page opens
        page = self.url_open(response.headers["Location"])
        self.assertEqual(page.status_code, 200)
        self.assertIn("Checkout unavailable", page.text)
        # a second confirmation (a second tab, a double click) changes nothing
        self.authenticate(None, None)
        csrf = self._csrf(self._form())
        again = self.url_open(path, data={"csrf_token": csrf}, allow_redirects=False)
        self.assertEqual(again.status_code, 303)
        self.assertEqual(again.headers["Location"], response.headers["Location"])
        self.assertEqual(self.crisis.impact_ids, impact)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before + 1)
        self.authenticate(None, None)
        self.assertIn("Your subscription is confirmed", self.url_open(path).text)

    def test_confirm_matches_the_contact_of_the_crisis_company_or_shared(self):
        # a shared contact: found by its normalized address
        shared = self.customers[0]
        # a contact of another company with the same address as a newcomer: not used
        foreign = self.env["res.partner"].create(
            {"name": "Elsewhere", "email": "twin@example.com", "company_id": self.company_2.id}
        )
        self._subscribe("Customer0@Example.com")
        self._subscribe("twin@example.com")
        for subscription in self._requests():
            self.assertEqual(self._confirm(self._link(subscription)).status_code, 303)
        lines = {impact.partner_id.email_normalized: impact for impact in self.crisis.impact_ids}
        self.assertEqual(lines["customer0@example.com"].partner_id, shared)
        twin = lines["twin@example.com"].partner_id
        self.assertNotEqual(twin, foreign)
        self.assertEqual(twin.company_id, self.company)
        self.assertTrue(all(line.is_subscriber for line in lines.values()))

    def test_an_affected_customer_subscribing_gets_nothing_new(self):
        line = self.env["crisis.impact"].create(
            {
                "crisis_id": self.crisis.id,
                "partner_id": self.customers[1].id,
                "impact_level": "high",
            }
        )
        new_answer = self._subscribe("stranger@example.com")
        known_answer = self._subscribe("customer1@example.com")
        # no way to tell a known address from the answer
        self.assertEqual(known_answer.status_code, new_answer.status_code)
        self.assertEqual(self._answer(known_answer), self._answer(new_answer))
        subscription = self._requests("customer1@example.com")
        response = self._confirm(self._link(subscription))
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/my/crises/{line.id}?access_token=", response.headers["Location"])
        self.assertEqual(self.crisis.impact_ids, line)
        self.assertRecordValues(line, [{"is_subscriber": False, "impact_level": "high"}])
        self.assertEqual(subscription.impact_id, line)

    def test_an_unsubscribed_customer_confirming_gets_the_notices_again(self):
        line = self.env["crisis.impact"].create(
            {"crisis_id": self.crisis.id, "partner_id": self.customers[1].id}
        )
        line._crisis_unsubscribe()
        self.assertTrue(line.is_unsubscribed)
        self._subscribe("customer1@example.com")
        self._confirm(self._link(self._requests("customer1@example.com")))
        self.assertRecordValues(
            line, [{"is_unsubscribed": False, "date_unsubscribed": False, "is_subscriber": False}]
        )

    def test_staff_addresses_are_never_customers(self):
        self.user_crisis.partner_id.email = "carol@ourcompany.example.com"
        self._subscribe("carol@ourcompany.example.com")
        response = self._confirm(self._link(self._requests()))
        self.assertEqual(response.status_code, 200)
        self.assertIn("belongs to our own team", response.text)
        self.assertFalse(self.crisis.impact_ids)

    def test_wrong_expired_and_other_tokens_are_refused(self):
        self._subscribe("first@example.com")
        self._subscribe("second@example.com")
        first, second = self._requests()
        self.authenticate(None, None)
        csrf = self._csrf(self._form())
        for path in (
            f"/status/subscription/{first.id}/not-the-token",
            f"/status/subscription/{first.id}/{second.token}",
            f"/status/subscription/999999/{first.token}",
        ):
            with self.subTest(path=path):
                page = self.url_open(path)
                self.assertEqual(page.status_code, 404)
                self.assertIn(INVALID, page.text)
                self.assertNotIn("first@example.com", page.text)
                posted = self.url_open(path, data={"csrf_token": csrf}, allow_redirects=False)
                self.assertEqual(posted.status_code, 404)
        # expired: 48 hours after the request
        self._age(first, hours=49)
        path = self._link(first)
        page = self.url_open(path)
        self.assertEqual(page.status_code, 404)
        self.assertIn(INVALID, page.text)
        self.assertEqual(self.url_open(path, data={"csrf_token": csrf}).status_code, 404)
        self.assertEqual((first | second).mapped("state"), ["pending", "pending"])
        self.assertFalse(self.crisis.impact_ids)
        # within the 48 hours, the link works
        self._age(second, hours=47)
        self.assertEqual(self._confirm(self._link(second)).status_code, 303)
        # and without the CSRF token of the visitor's session, nothing happens
        self._subscribe("third@example.com")
        third = self._requests("third@example.com")
        self.authenticate(None, None)
        with self.assertLogs("odoo.http", "WARNING") as logs:
            response = self.url_open(self._link(third), data={"csrf_token": "forged"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("CSRF validation failed", logs.output[0])
        self.assertEqual(third.state, "pending")

    # ------------------------------------------------------------------
    # Refusals
    # ------------------------------------------------------------------

    def test_unpublished_drill_and_closed_crises_are_refused(self):
        unpublished = self._create_crisis(public_statement=STATEMENT)
        unpublished.with_user(self.user_manager).action_approve_statement()
        drill = self._create_crisis(public_statement=STATEMENT)
        drill.with_user(self.user_manager).action_approve_statement()
        drill.with_user(self.user_manager).action_publish()
        # published, then made a drill behind the application's back
        self.env.cr.execute("UPDATE crisis_crisis SET is_drill = TRUE WHERE id = %s", [drill.id])
        drill.invalidate_recordset(["is_drill"])
        closed = self._create_crisis(public_statement=STATEMENT)
        closed.with_user(self.user_manager).action_approve_statement()
        closed.with_user(self.user_manager).action_publish()
        self._subscribe("early@example.com", crisis=closed)
        pending = self._requests(crisis=closed)
        self.assertEqual(len(pending), 1)
        closed.write({"root_cause": "<p>A faulty release.</p>", "stage_id": self.stage_closed.id})
        self.assertTrue(closed.is_closed)
        self.authenticate(None, None)
        csrf = self._csrf(self._form())
        for crisis in (unpublished, drill, closed):
            with self.subTest(crisis=crisis.name):
                self.assertEqual(self._form(crisis).status_code, 404)
                response = self.url_open(
                    f"/status/{crisis.id}/subscribe",
                    data={"csrf_token": csrf, "email": "someone@example.com"},
                )
                self.assertEqual(response.status_code, 404)
                self.assertFalse(self._requests("someone@example.com", crisis=crisis))
        # a link sent before the crisis closed no longer confirms
        path = self._link(pending)
        self.authenticate(None, None)
        self.assertEqual(self.url_open(path).status_code, 404)
        self.assertEqual(pending.state, "pending")
        self.assertFalse(closed.impact_ids)

    def test_honeypot_and_invalid_addresses(self):
        response = self._subscribe("robot@example.com", website="https://spam.example.com")
        self.assertEqual(response.status_code, 200)
        self.assertIn(SENT, response.text, "a robot gets the same answer")
        self.assertFalse(self._requests())
        for email in ("", "not-an-email", "joe@localhost", "a@example.com, b@example.com"):
            with self.subTest(email=email):
                response = self._subscribe(email)
                self.assertEqual(response.status_code, 400)
                self.assertIn("Please enter a valid email address.", response.text)
        self.assertFalse(self._requests())
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "crisis.subscription")]))

    def test_blacklisted_address_is_sent_nothing_with_the_same_answer(self):
        self.env["mail.blacklist"].sudo()._add("optout@example.com")
        blacklisted = self._subscribe("optout@example.com")
        other = self._subscribe("optin@example.com")
        self.assertEqual(self._answer(blacklisted), self._answer(other))
        self.assertFalse(self._requests("optout@example.com"))
        self.assertEqual(len(self._mails(self._requests())), 1)

    # ------------------------------------------------------------------
    # Rate limits
    # ------------------------------------------------------------------

    def test_rate_limit_per_ip(self):
        self.env["ir.config_parameter"].sudo().set_param(PARAM_IP_LIMIT, 2)
        other = self._create_crisis(public_statement=STATEMENT)
        other.with_user(self.user_manager).action_approve_statement()
        other.with_user(self.user_manager).action_publish()
        self.assertIn(SENT, self._subscribe("one@example.com").text)
        self.assertIn(SENT, self._subscribe("two@example.com", crisis=other).text)
        # the third one from the same address within the hour, whatever the crisis
        response = self._subscribe("three@example.com")
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many requests", response.text)
        self.assertFalse(self._requests("three@example.com"))
        self.assertEqual(len(self._mails(self._requests() | self._requests(crisis=other))), 2)
        # an hour later, again
        self._age(self._requests() | self._requests(crisis=other), minutes=61)
        self.assertIn(SENT, self._subscribe("three@example.com").text)

    def test_repeat_for_the_same_address_sends_nothing_new_for_10_minutes(self):
        self._subscribe("repeat@example.com")
        again = self._subscribe("Repeat@example.com")
        self.assertIn(SENT, again.text)
        first = self._requests("repeat@example.com")
        self.assertEqual(len(first), 1)
        self.assertEqual(len(self._mails(first)), 1)
        # later: a new link replaces the first one
        self._age(first, minutes=11)
        first_link = self._link(first)
        self.assertIn(SENT, self._subscribe("repeat@example.com").text)
        requests = self._requests("repeat@example.com")
        self.assertEqual(len(requests), 2)
        second = requests - first
        self.assertEqual((first.state, second.state), ("expired", "pending"))
        self.assertEqual(len(self._mails(requests)), 2)
        self.authenticate(None, None)
        self.assertEqual(self.url_open(first_link).status_code, 404)
        self.assertEqual(self._confirm(self._link(second)).status_code, 303)

    def test_rate_limit_per_crisis(self):
        self.env["ir.config_parameter"].sudo().set_param(PARAM_CRISIS_LIMIT, 3)
        others = self.Subscription.sudo().create(
            [
                {
                    "crisis_id": self.crisis.id,
                    "email": f"other{n}@example.com",
                    "request_ip": f"192.0.2.{n}",
                }
                for n in range(3)
            ]
        )
        response = self._subscribe("late@example.com")
        self.assertEqual(response.status_code, 429)
        self.assertFalse(self._requests("late@example.com"))
        # confirmed requests are not waiting ones: they do not count
        others[:1].sudo().write({"state": "confirmed"})
        self.assertIn(SENT, self._subscribe("late@example.com").text)
        # nor those of another crisis, nor the old ones
        self._age(self._requests(), hours=2)
        self.assertIn(SENT, self._subscribe("later@example.com").text)

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_nobody_writes_requests_through_the_model_layer(self):
        self._subscribe("guarded@example.com")
        subscription = self._requests()
        for user in (self.user_crisis, self.user_manager, self.user_portal, self.user_internal):
            with self.subTest(user=user.login):
                Subscription = self.Subscription.with_user(user)
                # no access right to create or write, and every field is the workflow's
                with self.assertRaises(AccessError):
                    Subscription.check_access("create")
                with self.assertRaises(AccessError):
                    subscription.with_user(user).check_access("write")
                # (AccessError is a UserError)
                with self.assertRaises(UserError):
                    Subscription.create({"crisis_id": self.crisis.id, "email": "x@example.com"})
                with self.assertRaises(UserError):
                    subscription.with_user(user).write({"state": "confirmed"})
                # the secret of the link is never readable in the backend
                with self.assertRaises(AccessError):
                    subscription.with_user(user).read(["token"])
        with self.assertRaises(AccessError):
            subscription.with_user(self.user_crisis).unlink()
        with self.assertRaises(AccessError):
            self.Subscription.with_user(self.user_portal).search([])
        # a template preview in the backend shows no token
        preview = subscription.with_user(self.user_manager)._crisis_confirm_url()
        self.assertIn(f"/status/subscription/{subscription.id}/", preview)
        self.assertNotIn(subscription.token, preview)
        self.assertEqual(subscription.state, "pending")

    def test_subscriber_flag_is_only_the_confirmations(self):
        line = self.env["crisis.impact"].create(
            {"crisis_id": self.crisis.id, "partner_id": self.customers[2].id}
        )
        # the Crisis User leads the crisis: they may change its lines, not this flag
        line.with_user(self.user_crisis).write({"impact_level": "high"})
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            line.with_user(self.user_crisis).write({"is_subscriber": True})
        with self.assertRaisesRegex(UserError, "cannot be set directly"):
            self.env["crisis.impact"].with_user(self.user_crisis).create(
                {
                    "crisis_id": self.crisis.id,
                    "partner_id": self.customers[3].id,
                    "is_subscriber": True,
                }
            )
        self.assertFalse(line.is_subscriber)

    def test_requests_are_read_in_their_company_only(self):
        self._subscribe("company-one@example.com")
        subscription = self._requests()
        Subscription = self.Subscription.with_user(self.user_crisis)
        self.assertEqual(Subscription.search([]), subscription)
        self.assertEqual(subscription.with_user(self.user_crisis).email, "company-one@example.com")
        outsider = self.Subscription.with_user(self.user_manager_2)
        self.assertFalse(outsider.search([]))
        with self.assertRaises(AccessError):
            subscription.with_user(self.user_manager_2).read(["email"])

    # ------------------------------------------------------------------
    # Cleaning
    # ------------------------------------------------------------------

    def test_autovacuum_drops_unconfirmed_and_old_expired_requests(self):
        Subscription = self.Subscription.sudo()
        values = [
            ("pending", {"hours": 49}),
            ("pending", {"hours": 47}),
            ("expired", {"days": 8}),
            ("expired", {"days": 6}),
            ("confirmed", {"days": 400}),
        ]
        rows = Subscription.create(
            [
                {
                    "crisis_id": self.crisis.id,
                    "email": f"gc{n}@example.com",
                    "state": state,
                    "date_requested": fields.Datetime.now() - timedelta(**age),
                }
                for n, (state, age) in enumerate(values)
            ]
        )
        Subscription._gc_crisis_subscriptions()
        self.assertEqual(rows.exists(), rows[1] | rows[3] | rows[4])

    # ------------------------------------------------------------------
    # In a browser
    # ------------------------------------------------------------------

    def test_tour_visitor_subscribes_then_confirms(self):
        self.start_tour(
            f"/status/{self.crisis.id}", "crisis_management_subscribe_tour", login=None
        )
        subscription = self._requests("tour.visitor@example.com")
        self.assertEqual(len(subscription), 1)
        self.assertEqual(subscription.state, "pending")
        response = self._confirm(self._link(subscription))
        self.assertEqual(response.status_code, 303)
        impact = self.crisis.impact_ids
        self.assertEqual(impact.partner_id.email, "tour.visitor@example.com")
        self.assertRecordValues(impact, [{"is_subscriber": True, "impact_level": "low"}])
        self.assertEqual(subscription.state, "confirmed")
