"""In a browser: a call campaign logged in one click per call, and a customer
who wrote to the crisis inbox verified by the crisis lead."""

from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from odoo.tests import HttpCase, tagged

from ..models.crisis_impact_call import CALL_ACTIVITY
from .common import CrisisCase


@tagged("post_install", "-at_install")
class TestChannelTours(HttpCase, CrisisCase):
    def _crisis_url(self, crisis):
        return f"/odoo/action-crisis_management.crisis_crisis_action/{crisis.id}"

    def test_call_campaign(self):
        crisis = self._create_crisis(name="Tour: call campaign", user_id=self.user_crisis.id)
        anna, bert, chloe = self.env["res.partner"].create(
            [
                # a priority customer
                {"name": "Tour caller Anna", "email": "anna@example.com", "phone": "+3221110001"},
                # emails do not reach him
                {"name": "Tour caller Bert", "mobile": "+32456110002"},
                # an ordinary customer: emailed, not called by default
                {
                    "name": "Tour caller Chloe",
                    "email": "chloe@example.com",
                    "phone": "+3221110003",
                },
            ]
        )
        Impact = self.env["crisis.impact"]
        line_anna = Impact._link_partners(crisis, anna.ids, is_priority=True)
        line_bert, line_chloe = Impact._link_partners(crisis, (bert | chloe).ids)
        self.start_tour(
            self._crisis_url(crisis), "crisis_management_call_tour", login="crisis_user"
        )
        call = self.env.ref(CALL_ACTIVITY)
        self.assertEqual(
            (line_anna.call_outcome, line_anna.call_count, line_anna.contact_status),
            ("no_answer", 1, "to_contact"),
        )
        self.assertEqual(
            len(line_anna.activity_ids.filtered(lambda a: a.activity_type_id == call)),
            1,
            "no answer: the next try is scheduled",
        )
        self.assertEqual(
            (line_bert.call_outcome, line_bert.call_count, line_bert.contact_status),
            ("reached", 1, "in_discussion"),
        )
        self.assertFalse(line_bert.activity_ids.filtered(lambda a: a.activity_type_id == call))
        self.assertFalse(line_chloe.call_count or line_chloe.activity_ids)
        self.assertEqual(
            (crisis.call_done_count, crisis.call_reached_count, crisis.call_todo_count), (2, 1, 1)
        )

    def test_inbox_self_reported(self):
        domain = self.env["mail.alias.domain"].create(
            {"name": "crisis-tour.example.com", "company_ids": [(4, self.company.id)]}
        )
        self.company.alias_domain_id = domain
        crisis = self._create_crisis(name="Tour: inbox", user_id=self.user_crisis.id)
        crisis.with_user(self.user_manager).action_create_inbox()
        message = MIMEText("Is my order affected? Please call me.", "plain", "utf-8")
        message["From"] = '"Jane Newcomer" <jane.newcomer@example.org>'
        message["To"] = crisis.alias_email
        message["Subject"] = "Question about the recall"
        message["Date"] = formatdate()
        message["Message-ID"] = make_msgid(domain="customer.example.org")
        # as the mail gateway does: the fetchmail cron, as superuser
        self.env["mail.thread"].sudo().message_process(None, message.as_string())
        line = crisis.impact_ids
        self.assertTrue(line.is_self_reported)
        self.start_tour(
            self._crisis_url(crisis), "crisis_management_inbox_tour", login="crisis_user"
        )
        self.assertFalse(line.is_self_reported)
        self.assertFalse(line.activity_ids, "the lead's To-Do to verify the customer is done")
