"""Bad input on the routes of the status page and its subscriptions: a 4xx
page or a clear answer, never a traceback (a 500 and an ERROR in the log)."""

from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.tests.common import CrisisCase, PublicRoutesCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
# beyond PostgreSQL's integer: the <int:...> converters of werkzeug accept it
HUGE = 99999999999999999999
NON_ASCII = "\u2713"
NUL = "\x00"


@tagged("post_install", "-at_install")
class TestStatusRoutesBadInput(PublicRoutesCase, HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_published_crisis(
            public_title="Checkout unavailable", public_statement=STATEMENT
        )
        cls.subscription = (
            cls.env["crisis.subscription"]
            .sudo()
            .create({"crisis_id": cls.crisis.id, "email": "visitor@example.org"})
        )

    def test_every_route_is_covered(self):
        """A new route of the module gets its bad input here."""
        self.assertRoutesCovered(
            ("odoo.addons.crisis_management_status",),
            {
                "/status",
                "/status/company/<int:company_id>",
                "/status/<int:crisis_id>",
                "/status/<int:crisis_id>/subscribe",
                "/status/subscription/<int:subscription_id>/<string:token>",
                "/status/feed.atom",
                "/status/company/<int:company_id>/feed.atom",
                "/status/<int:crisis_id>/feed.atom",
                "/status/summary.json",
                "/status/company/<int:company_id>/summary.json",
                "/status/<int:crisis_id>/summary.json",
            },
        )

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

    def test_feeds_and_summaries(self):
        self.authenticate(None, None)
        for url in (
            f"/status/{HUGE}/feed.atom",
            f"/status/company/{HUGE}/feed.atom",
            f"/status/{HUGE}/summary.json",
            f"/status/company/{HUGE}/summary.json",
        ):
            with self.subTest(url=url):
                self.assertEqual(self._get(url).status_code, 404)
        for url in (
            f"/status/feed.atom?lang={NON_ASCII}",
            "/status/feed.atom?lang=%00",
            f"/status/{self.crisis.id}/feed.atom?lang=%00",
            f"/status/summary.json?lang={NON_ASCII}",
            f"/status/{self.crisis.id}/summary.json?lang=%00",
        ):
            with self.subTest(url=url):
                self.assertEqual(self._get(url).status_code, 200)
        for url in (f"/status/{self.crisis.id}/summary.json", "/status/feed.atom"):
            with self.subTest(url=url):
                # a broken conditional request is an ordinary one
                response = self._get(url, headers={"If-None-Match": '"\x00", W/'})
                self.assertEqual(response.status_code, 200)
                # methods other than GET (and the preflight)
                self.assertClientError(self._post(url, {}), statuses=(403, 405))

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
