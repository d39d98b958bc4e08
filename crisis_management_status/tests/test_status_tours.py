"""In a browser: anyone reads the public status page."""

from odoo.tests import HttpCase, tagged

from odoo.addons.crisis_management.tests.common import CrisisCase


@tagged("post_install", "-at_install")
class TestStatusTours(HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crisis = cls._create_portal_crisis()

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
