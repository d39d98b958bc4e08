"""In a browser: a portal user's incidents under My Account, and the public
status page."""

from odoo.tests import HttpCase, tagged

from .common import CrisisCase

STATEMENT = "<p>Payments failed for six hours; every refused payment can be made again.</p>"


@tagged("post_install", "-at_install")
class TestPortalTours(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_crisis(
            public_title="Card payments outage",
            public_statement=STATEMENT,
            talking_points="<p>Internal only: do not mention the vendor Zebracorp.</p>",
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.env["crisis.impact"]._link_partners(cls.crisis, cls.user_portal.partner_id.ids)

    def test_portal_user_finds_their_incidents(self):
        # another customer's crisis is not theirs: the count says 1
        other = self._create_crisis(
            public_title="Someone else's outage", public_statement=STATEMENT
        )
        other.with_user(self.user_manager).action_approve_statement()
        self.env["crisis.impact"]._link_partners(other, self.customers[0].ids)
        self.start_tour("/my", "crisis_management_my_crises_tour", login=self.user_portal.login)

    def test_public_status_page(self):
        self.env["crisis.update"].sudo().create(
            {
                "crisis_id": self.crisis.id,
                "name": "Payments are back",
                "kind": "progress",
                "body": "<p>Payments are accepted again in every store.</p>",
                "is_public": True,
            }
        )
        self.crisis.with_user(self.user_manager).action_publish()
        self.start_tour("/status", "crisis_management_status_page_tour")
