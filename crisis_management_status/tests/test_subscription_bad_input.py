"""Bad input: the address of a subscription request."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.crisis_management.tests.common import CrisisCase


@tagged("post_install", "-at_install")
class TestSubscriptionBadInput(CrisisCase):
    def test_subscription_email_is_validated(self):
        crisis = self._create_crisis()
        Subscription = self.env["crisis.subscription"]
        for email in (
            "a@@b.example",
            "@b.example",
            "a@b",
            "a@b.example\x00",
            "a b@c.example",
            "Name <a@b.example>",
            "a@b.example, c@d.example",
            "a" * 250 + "@b.example",
        ):
            with self.subTest(email=email):
                self.assertFalse(Subscription._crisis_normalize_email(email))
                with self.assertRaises(ValidationError):
                    Subscription.sudo().create({"crisis_id": crisis.id, "email": email})
        self.assertEqual(Subscription._crisis_normalize_email(" A@B.example "), "a@b.example")
        subscription = Subscription.sudo().create({"crisis_id": crisis.id, "email": "a@b.example"})
        self.assertEqual(subscription.email, "a@b.example")
