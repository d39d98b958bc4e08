"""Bad input on every public and portal route of the addon: a 4xx page or a
clear answer, never a traceback (a 500 and an ERROR in the server log)."""

import json

from odoo.tests import HttpCase, tagged

from .common import CrisisCase, PublicRoutesCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
# beyond PostgreSQL's integer: the <int:...> converters of werkzeug accept it
HUGE = 99999999999999999999
NON_ASCII = "✓"
NUL = "\x00"
# the JSON values a forged request may give where a string is expected
NOT_STRINGS = ([1, 2], {"a": 1}, 12, True, 1.5)
# the addon and its bridges (crisis_management_sms, …, spreadsheet_dashboard_crisis_management)
ADDON_MODULES = ("odoo.addons.crisis_management", "odoo.addons.spreadsheet_dashboard_crisis")
# the feature modules whose routes have their bad input in their own tests
OWN_TESTS = ("odoo.addons.crisis_management_status",)


@tagged("post_install", "-at_install")
class TestPublicRoutesBadInput(PublicRoutesCase, HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_approved_crisis(
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

    # ------------------------------------------------------------------
    # Tools
    # ------------------------------------------------------------------

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

    def assertUnanswered(self):
        self.env.invalidate_all()
        self.assertEqual(self.offer.customer_response, "none")
        self.assertEqual(self.offer.state, "approved")

    # ------------------------------------------------------------------
    # Every route of the addon has its bad input here
    # ------------------------------------------------------------------

    # the rules below, each tried with bad input by a test of this class
    COVERED = {
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
        self.assertRoutesCovered(ADDON_MODULES, self.COVERED, exclude=OWN_TESTS)

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
