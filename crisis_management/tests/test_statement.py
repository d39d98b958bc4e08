from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestStatement(CrisisCase):
    def test_manager_approves_and_edits_send_it_back(self):
        crisis = self._create_crisis(user=self.user_crisis)
        with Form(crisis.with_user(self.user_crisis)) as form:
            form.public_statement = "<p>Checkout is down; we are on it. Next update at noon.</p>"
            form.talking_points = "<p>Offer to take the order by phone.</p>"
        self.assertEqual(crisis.statement_state, "draft")
        with self.assertRaises(AccessError):
            crisis.with_user(self.user_crisis).action_approve_statement()
        with self.assertRaises(UserError) as error:
            crisis._check_can_speak_to_customers()
        self.assertIn("approves the public statement", str(error.exception))

        crisis.with_user(self.user_manager).action_approve_statement()
        self.assertEqual(crisis.statement_state, "approved")
        self.assertEqual(crisis.statement_approved_by_id, self.user_manager)
        self.assertTrue(crisis.date_statement_approved)
        crisis._check_can_speak_to_customers()

        # the talking points are internal: changing them keeps the approval
        crisis.with_user(self.user_crisis).talking_points = "<p>Be patient with callers.</p>"
        self.assertEqual(crisis.statement_state, "approved")
        # a changed statement needs a new approval
        crisis.with_user(self.user_crisis).public_statement = "<p>Checkout is back.</p>"
        self.assertEqual(crisis.statement_state, "draft")
        self.assertFalse(crisis.statement_approved_by_id)

    def test_refusals(self):
        crisis = self._create_crisis()
        with self.assertRaises(UserError) as error:
            crisis.with_user(self.user_manager).action_approve_statement()
        self.assertIn("no public statement", str(error.exception))
        crisis.write({"public_statement": "<p>Sorry.</p>", "is_drill": True})
        crisis.with_user(self.user_manager).action_approve_statement()
        with self.assertRaises(UserError) as error:
            crisis._check_can_speak_to_customers()
        self.assertIn("drill", str(error.exception))
