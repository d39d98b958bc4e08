"""Four eyes on the post-incident review: nobody approves the review they
wrote, submitted or gave to its author."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.crisis_management.tests.common import FourEyesCase


@tagged("post_install", "-at_install")
class TestFourEyesReview(FourEyesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crisis_auto_apply_playbook = False

    def _review(self, author):
        crisis = self._create_crisis(user=self.user_crisis, team_id=self.team.id)
        action = crisis.with_user(author).action_open_review()
        return self.env["crisis.review"].browse(action["res_id"])

    def test_manager_who_named_the_author_does_not_approve(self):
        review = self._review(self.user_crisis)
        review.with_user(self.user_manager).user_id = self.user_crisis_2
        review.with_user(self.user_crisis_2).action_submit()
        self.assertFalse(review.with_user(self.user_manager).can_approve)
        with self.assertRaisesRegex(UserError, "changed its author"):
            review.with_user(self.user_manager).action_approve()
        self.assertEqual(review.state, "in_review")
        self.assertTrue(review.with_user(self.user_manager_b).can_approve)
        review.with_user(self.user_manager_b).action_approve()
        self.assertEqual(review.approved_by_id, self.user_manager_b)

    def test_submitter_does_not_approve(self):
        review = self._review(self.user_crisis)
        review.with_user(self.user_manager).action_submit()
        with self.assertRaisesRegex(UserError, "submitted it"):
            review.with_user(self.user_manager).action_approve()
        review.with_user(self.user_manager_b).action_approve()
        self.assertEqual(review.state, "approved")

    def test_author_frozen_once_submitted(self):
        review = self._review(self.user_crisis)
        review.with_user(self.user_crisis).action_submit()
        for user in (self.user_crisis, self.user_manager):
            with self.assertRaisesRegex(UserError, "is in review: its author stays"):
                review.with_user(user).user_id = self.user_manager_b
        self.assertEqual(review.user_id, self.user_crisis)
        # back to draft, the author may change again; the changer is then involved
        review.with_user(self.user_manager).action_draft()
        review.with_user(self.user_manager_b).user_id = self.user_crisis_2
        review.with_user(self.user_crisis_2).action_submit()
        with self.assertRaisesRegex(UserError, "its author does not approve it"):
            review.with_user(self.user_manager_b).action_approve()
        review.with_user(self.user_manager).action_approve()
        self.assertEqual(review.approved_by_id, self.user_manager)
