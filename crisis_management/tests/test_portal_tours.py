"""In a browser: a portal user's incidents under My Account."""

from odoo.tests import HttpCase, tagged

from .common import PORTAL_STATEMENT, CrisisCase


@tagged("post_install", "-at_install")
class TestPortalTours(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_portal_crisis()

    def test_portal_user_finds_their_incidents(self):
        # another customer's crisis is not theirs: the count says 1
        other = self._create_crisis(
            public_title="Someone else's outage", public_statement=PORTAL_STATEMENT
        )
        other.with_user(self.user_manager).action_approve_statement()
        self.env["crisis.impact"]._link_partners(other, self.customers[0].ids)
        self.start_tour("/my", "crisis_management_my_crises_tour", login=self.user_portal.login)
