"""Bad input on every public and portal route of the addon: a 4xx page or a
clear answer, never a traceback (a 500 and an ERROR in the server log)."""

import json

from odoo.http import Request, _generate_routing_rules
from odoo.tests import HttpCase, tagged

from .common import CrisisCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
# beyond PostgreSQL's integer: the <int:...> converters of werkzeug accept it
HUGE = 99999999999999999999
NON_ASCII = "✓"
NUL = "\x00"
# the JSON values a forged request may give where a string is expected
NOT_STRINGS = ([1, 2], {"a": 1}, 12, True, 1.5)
# the addon and its bridges (crisis_management_sms, …, spreadsheet_dashboard_crisis_management)
ADDON_MODULES = ("odoo.addons.crisis_management", "odoo.addons.spreadsheet_dashboard_crisis")


@tagged("post_install", "-at_install")
class TestPublicRoutesBadInput(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_published_crisis(
            public_title="Checkout unavailable", public_statement=STATEMENT
        )
        cls.line = cls.env["crisis.impact"]._link_partners(cls.crisis, cls.customers[0].ids)
        compensation = (
            cls.env["crisis.compensation"]
            .with_user(cls.user_crisis)
            .create({"impact_id": cls.line.id, "type": "voucher", "amount": 20.0})
        )
        compensation.action_submit()
        compensation.with_user(cls.user_manager).action_approve()
        cls.offer = compensation.with_env(cls.env)
        cls.subscription = (
            cls.env["crisis.subscription"]
            .sudo()
            .create({"crisis_id": cls.crisis.id, "email": "visitor@example.org"})
        )

    # ------------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------------

    def _csrf(self):
        if not getattr(self, "session", None):
            self.authenticate(None, None)
        return Request.csrf_token(self)

    def _get(self, url, **kwargs):
        return self.url_open(url, allow_redirects=False, **kwargs)

    def _post(self, url, data=None, csrf=True):
        data = dict(data or {})
        if csrf:
            data["csrf_token"] = self._csrf()
        return self.url_open(url, data=data, allow_redirects=False)

    def _json(self, url, params):
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        return response

    def _accept_url(self, impact_id=None, compensation_id=None, token=None):
        url = (
            f"/my/crises/{impact_id or self.line.id}/compensation/"
            f"{compensation_id or self.offer.id}/accept"
        )
        return f"{url}?access_token={token}" if token else url

    def _decline_url(self, impact_id=None, compensation_id=None, token=None):
        url = (
            f"/my/crises/{impact_id or self.line.id}/compensation/"
            f"{compensation_id or self.offer.id}/decline"
        )
        return f"{url}?access_token={token}" if token is not None else url

    def assertClientError(self, response, statuses=(301, 302, 303, 400, 403, 404, 429)):
        """A redirect or a 4xx: never a server error."""
        self.assertIn(response.status_code, statuses, response.text[:500])

    def assertUnanswered(self):
        self.env.invalidate_all()
        self.assertEqual(self.offer.customer_response, "none")
        self.assertEqual(self.offer.state, "approved")

    # ------------------------------------------------------------------
    # Every route of the addon has its bad input here
    # ------------------------------------------------------------------

    # the rules below, each tried with bad input by a test of this class
    COVERED = {
        "/status",
        "/status/company/<int:company_id>",
        "/status/<int:crisis_id>",
        "/status/<int:crisis_id>/subscribe",
        "/status/subscription/<int:subscription_id>/<string:token>",
        "/crisis/unsubscribe/<int:impact_id>/<string:token>",
        "/crisis/unsubscribe/<int:impact_id>/<string:token>/confirm",
        "/crisis/unsubscribe/<int:impact_id>/<string:token>/resubscribe",
        "/my/crises",
        "/my/crises/page/<int:page>",
        "/my/crises/<int:impact_id>",
        "/my/crises/<int:impact_id>/compensation/<int:compensation_id>/accept",
        "/my/crises/<int:impact_id>/compensation/<int:compensation_id>/decline",
    }

    def test_every_route_is_covered(self):
        """A new route of the addon (or of a bridge) gets its bad input here."""
        rules = set()
        # what ir.http's routing map is made of, for the modules installed
        for url, endpoint in _generate_routing_rules(
            sorted(self.env.registry._init_modules), nodb_only=False
        ):
            function = getattr(endpoint, "original_endpoint", None)
            module = getattr(function, "__module__", "")
            if module.startswith(ADDON_MODULES):
                rules.add(url)
        self.assertTrue(rules)
        self.assertEqual(rules - self.COVERED, set(), "routes without bad-input cases")

    # ------------------------------------------------------------------
    # The status page and the subscriptions
    # ------------------------------------------------------------------

    def test_status_pages(self):
        self.authenticate(None, None)
        for url in (
            f"/status/{HUGE}",
            f"/status/company/{HUGE}",
            f"/status/{HUGE}/subscribe",
            f"/status/subscription/{HUGE}/token",
            f"/status/subscription/{self.subscription.id}/{NON_ASCII}",
            f"/status/subscription/{self.subscription.id}/%00",
        ):
            with self.subTest(url=url):
                self.assertEqual(self._get(url).status_code, 404)
        for url in (
            f"/status?lang={NON_ASCII}",
            "/status?lang=%00",
            f"/status/{self.crisis.id}?lang=%00",
            f"/status/{self.crisis.id}/subscribe?lang={NON_ASCII}",
            f"/status/subscription/{self.subscription.id}/x?lang=%00",
        ):
            with self.subTest(url=url):
                self.assertClientError(self._get(url), statuses=(200, 404))

    def test_subscribe_posts(self):
        for url, data in (
            (f"/status/{HUGE}/subscribe", {"email": "a@example.org"}),
            (f"/status/subscription/{HUGE}/token", {}),
            (f"/status/subscription/{self.subscription.id}/{NON_ASCII}", {}),
        ):
            with self.subTest(url=url):
                self.assertEqual(self._post(url, data).status_code, 404)
        url = f"/status/{self.crisis.id}/subscribe"
        for email in (
            f"a{NUL}@example.org",
            f"a@example.org{NUL}",
            "a@@b.example",
            "@b.example",
            f"{NON_ASCII}@{NON_ASCII}",
            "a" * 300 + "@example.org",
        ):
            with self.subTest(email=email):
                response = self._post(url, {"email": email, "website": "", "lang": NUL})
                self.assertEqual(response.status_code, 400)
                self.assertIn("Please enter a valid email address.", response.text)
        self.assertEqual(
            self.env["crisis.subscription"].sudo().search_count([]), 1, "nothing requested"
        )

    # ------------------------------------------------------------------
    # Unsubscribe
    # ------------------------------------------------------------------

    def test_unsubscribe_links(self):
        self.authenticate(None, None)
        base = f"/crisis/unsubscribe/{self.line.id}"
        # (not "%00" in a path: Odoo's own 404 looks for an attachment at that
        # path, and PostgreSQL refuses the NUL, whatever the route)
        for path in (
            f"/crisis/unsubscribe/{HUGE}/token",
            f"{base}/{NON_ASCII}",
            f"{base}/{'x' * 5000}",
        ):
            with self.subTest(path=path):
                self.assertEqual(self._get(path).status_code, 404)
                response = self._post(path, {"List-Unsubscribe": "One-Click"}, csrf=False)
                self.assertEqual(response.status_code, 404)
                for action in ("confirm", "resubscribe"):
                    response = self._post(f"{path}/{action}", {"back_to_page": "1"})
                    self.assertEqual(response.status_code, 404)
        self.env.invalidate_all()
        self.assertFalse(self.line.is_unsubscribed)

    # ------------------------------------------------------------------
    # The customer's page and their answers
    # ------------------------------------------------------------------

    def test_customer_page(self):
        self.authenticate(None, None)
        for url in (
            f"/my/crises/{HUGE}",
            f"/my/crises/{HUGE}?access_token=x",
            f"/my/crises/{self.line.id}?access_token={NON_ASCII}",
            f"/my/crises/{self.line.id}?access_token=%00",
            f"/my/crises/{self.line.id}?access_token={'x' * 5000}",
        ):
            with self.subTest(url=url):
                response = self._get(url)
                self.assertClientError(response)
                self.assertNotIn("Checkout unavailable", response.text)
        self.authenticate(self.user_portal.login, self.user_portal.login)
        for url in (f"/my/crises/page/{HUGE}", "/my/crises?page=x", "/my/crises"):
            with self.subTest(url=url):
                self.assertEqual(self._get(url).status_code, 200)
        response = self._get(f"/my/crises/{HUGE}")
        self.assertClientError(response)

    def test_accept_bad_json(self):
        self.authenticate(None, None)
        token = self.line.access_token
        cases = [
            (self._accept_url(impact_id=HUGE, token=token), {"name": "Alice"}),
            (self._accept_url(compensation_id=HUGE, token=token), {"name": "Alice"}),
            (self._accept_url(token=NON_ASCII), {"name": "Alice"}),
            (self._accept_url(), {"name": "Alice", "access_token": NON_ASCII}),
            (self._accept_url(), {"name": "Alice", "access_token": NUL}),
        ]
        cases += [
            (self._accept_url(), {"name": "Alice", "access_token": value}) for value in NOT_STRINGS
        ]
        cases += [(self._accept_url(token=token), {"name": value}) for value in NOT_STRINGS]
        cases += [
            (self._accept_url(token=token), {"name": "Alice", "signature": value})
            for value in NOT_STRINGS
        ]
        cases += [
            (self._accept_url(token=token), {"name": "x" * (5 * 1024 * 1024)}),
            (self._accept_url(token=token), {"name": f"Alice{NUL}"}),
            (self._accept_url(token=token), {"name": "Alice", "signature": NUL}),
        ]
        for url, params in cases:
            with self.subTest(url=url[:120], params=repr(params)[:120]):
                response = self._json(url, params)
                self.assertEqual(response.status_code, 200)
                answer = response.json()
                self.assertNotIn("error", answer, "no server error")
                self.assertIn("error", answer["result"], "a message for the customer")
                self.assertIsInstance(answer["result"]["error"], str)
        self.assertUnanswered()

    def test_decline_bad_form(self):
        self.authenticate(None, None)
        token = self.line.access_token
        for url, reason in (
            (self._decline_url(impact_id=HUGE, token=token), "No"),
            (self._decline_url(compensation_id=HUGE, token=token), "No"),
            (self._decline_url(token=NON_ASCII), "No"),
            (self._decline_url(token="%00"), "No"),
            (self._decline_url(token=token), f"No{NUL}thanks"),
            (self._decline_url(token=token), "x" * 100_000),
        ):
            with self.subTest(url=url[:120], reason=reason[:20]):
                response = self._post(url, {"decline_reason": reason})
                self.assertClientError(response)
        self.assertUnanswered()
