from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CrisisCase

STATEMENT = "<p>A faulty update stopped our checkout; it is rolled back.</p>"
DRILL = "drills never send anything"
UNAPPROVED = "approves the public statement"


@tagged("post_install", "-at_install")
class TestMailGuard(CrisisCase, MockEmail):
    """Nothing reaches customers from a drill or before the statement is approved,
    whichever way Odoo emails them: chatter, composer, ``send_mail``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.customers[0]
        cls.agent = cls.user_crisis_2
        cls.agent.notification_type = "email"
        # a real crisis with an approved statement, a drill, and a crisis whose
        # statement waits for approval
        cls.crisis = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.drill = cls._create_crisis(
            user=cls.user_crisis, name="Fire drill", is_drill=True, public_statement=STATEMENT
        )
        cls.drill.with_user(cls.user_manager).action_approve_statement()
        cls.draft = cls._create_crisis(user=cls.user_crisis, public_statement=STATEMENT)
        Impact = cls.env["crisis.impact"]
        for crisis in cls.crisis | cls.drill | cls.draft:
            Impact._link_partners(crisis, cls.customers[:2].ids, user=cls.agent)
        cls.line = {
            crisis: crisis.impact_ids.filtered(lambda i: i.partner_id == cls.customer)
            for crisis in cls.crisis | cls.drill | cls.draft
        }
        cls.initial = cls.env.ref("crisis_management.mail_template_impact_initial")
        cls.offer = cls.env.ref("crisis_management.mail_template_compensation_offer")

    def _post_to_customer(self, line, body):
        return line.with_user(self.user_crisis).message_post(
            body=body,
            partner_ids=self.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _messages(self, records, body):
        """The posted messages (not the creation and tracking ones) of ``records``."""
        return self.env["mail.message"].search(
            [
                ("model", "=", records._name),
                ("res_id", "in", records.ids),
                ("body", "ilike", body),
                ("message_type", "!=", "notification"),
            ]
        )

    def _mails_of(self, records):
        return self.env["mail.mail"].search(
            [("model", "=", records._name), ("res_id", "in", records.ids)]
        )

    def _sent_to(self, partner):
        return [mail for mail in self._mails if partner.email_formatted in mail["email_to"]]

    def _compensation(self, crisis):
        return self.env["crisis.compensation"].create(
            {"impact_id": self.line[crisis].id, "type": "voucher", "amount": 20.0}
        )

    def test_drill_line_message_to_customer_refused(self):
        line = self.line[self.drill]
        with self.mock_mail_gateway(), self.assertRaises(UserError) as error:
            self._post_to_customer(line, "Your order is safe.")
        self.assertIn(DRILL, str(error.exception))
        self.assertIn(self.drill.reference, str(error.exception))
        self.assertFalse(self._mails, "nothing went out")
        self.assertFalse(self._messages(line, "Your order is safe."), "nothing was written")
        self.assertFalse(self._mails_of(line))

    def test_message_to_customer_after_approval(self):
        line = self.line[self.draft]
        with self.mock_mail_gateway(), self.assertRaises(UserError) as error:
            self._post_to_customer(line, "Your order is safe.")
        self.assertIn(UNAPPROVED, str(error.exception))
        self.assertFalse(self._mails)

        self.draft.with_user(self.user_manager).action_approve_statement()
        with self.mock_mail_gateway():
            message = self._post_to_customer(line, "Your order is safe.")
        self.assertEqual(message.partner_ids, self.customer)
        self.assertEqual(len(self._sent_to(self.customer)), 1, "the customer got the email")
        customer = message.notification_ids.filtered(lambda n: n.res_partner_id == line.partner_id)
        self.assertEqual(customer.notification_status, "sent")

    def test_internal_notifications_on_a_drill_still_go(self):
        line = self.line[self.drill]
        line.message_subscribe(partner_ids=self.agent.partner_id.ids)
        # a note to an employee
        with self.mock_mail_gateway():
            note = line.with_user(self.user_crisis).message_post(
                body="Call them back after the drill.",
                partner_ids=self.user_internal.partner_id.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        self.assertEqual(note.notification_ids.res_partner_id, self.user_internal.partner_id)
        self.assertEqual(len(self._sent_to(self.user_internal.partner_id)), 1)
        self.assertFalse(self._sent_to(self.customer))
        # a message to the followers (the agent)
        with self.mock_mail_gateway():
            line.with_user(self.user_crisis).message_post(
                body="Drill: the customer would call now.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(len(self._sent_to(self.agent.partner_id)), 1)
        self.assertFalse(self._sent_to(self.customer))
        # the customer's reply notifies the agent
        with self.mock_mail_gateway():
            line.message_post(
                body="Is my order safe?",
                author_id=self.customer.id,
                email_from=self.customer.email_formatted,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(len(self._sent_to(self.agent.partner_id)), 1)
        self.assertFalse(self._sent_to(self.customer))

    def test_mass_mail_composer_before_approval_refused(self):
        lines = self.draft.impact_ids | self.crisis.impact_ids

        def composer():
            return (
                self.env["mail.compose.message"]
                .with_user(self.user_crisis)
                .with_context(
                    default_model="crisis.impact",
                    default_res_ids=lines.ids,
                    default_template_id=self.initial.id,
                    default_composition_mode="mass_mail",
                    default_force_send=True,
                )
                .create({})
            )

        # refused before the first email, for the lines of every crisis
        with self.mock_mail_gateway(), self.assertRaises(UserError) as error:
            composer().action_send_mail()
        self.assertIn(UNAPPROVED, str(error.exception))
        self.assertIn(self.draft.reference, str(error.exception))
        self.assertFalse(self._mails)
        # and the emails themselves are refused when the composer's check is skipped
        with self.mock_mail_gateway(), self.assertRaises(UserError) as error:
            composer()._action_send_mail_mass_mail(lines.ids)
        self.assertIn(UNAPPROVED, str(error.exception))
        self.assertFalse(self._mails)
        self.assertFalse(self._mails_of(lines))

        self.draft.with_user(self.user_manager).action_approve_statement()
        with self.mock_mail_gateway():
            composer().action_send_mail()
        self.assertEqual(len(self._sent_to(self.customer)), 2, "one per crisis")
        self.assertEqual(len(self._mails), 4)

    def test_offer_template_on_a_drill_refused(self):
        compensation = self._compensation(self.drill)
        composer = Form(
            self.env["mail.compose.message"]
            .with_user(self.user_manager)
            .with_context(
                default_model="crisis.compensation",
                default_res_ids=compensation.ids,
                default_template_id=self.offer.id,
                default_composition_mode="comment",
                force_email=True,
            )
        ).save()
        self.assertIn(self.customer, composer.partner_ids)
        with self.mock_mail_gateway(), self.assertRaises(UserError) as error:
            composer.action_send_mail()
        self.assertIn(DRILL, str(error.exception))
        self.assertFalse(self._mails)
        # the message the composer posts is refused too
        with self.mock_mail_gateway(), self.assertRaises(UserError) as error:
            composer._action_send_mail_comment(compensation.ids)
        self.assertIn(DRILL, str(error.exception))
        self.assertFalse(self._mails)
        self.assertFalse(self._messages(compensation, "compensation"))

        # the template sent directly
        template = self.offer.with_user(self.user_manager)
        with self.mock_mail_gateway(), self.assertRaises(UserError) as error:
            template.send_mail(compensation.id, force_send=True)
        self.assertIn(DRILL, str(error.exception))
        self.assertFalse(self._mails)
        self.assertFalse(self._mails_of(compensation))

        # the same offer on the real crisis goes out
        compensation = self._compensation(self.crisis)
        with self.mock_mail_gateway():
            template.send_mail(compensation.id, force_send=True)
        self.assertEqual(len(self._sent_to(self.customer)), 1)
        self.assertIn(compensation.reference, self._mails[0]["body"])
        # and so does the offer button's composer, once the compensation is approved
        compensation.action_submit()
        compensation.with_user(self.user_manager).action_approve()
        action = compensation.with_user(self.user_manager).action_send_offer()
        composer = Form(
            self.env[action["res_model"]]
            .with_user(self.user_manager)
            .with_context(**action["context"])
        ).save()
        with self.mock_mail_gateway():
            composer.action_send_mail()
        self.assertEqual(len(self._sent_to(self.customer)), 1)
        self.assertEqual(
            self._messages(compensation, compensation.reference).partner_ids, self.customer
        )

    def test_newline_in_crisis_name_still_sent(self):
        """Old data: a crisis name on two lines still makes emails that can be sent
        (the upgrade made it the customer-facing title, which the subjects name)."""
        self.env.cr.execute(
            "UPDATE crisis_crisis SET name = %s, public_title = jsonb_build_object('en_US', %s)"
            " WHERE id = %s",
            ("Checkout\r\n  down", "Checkout\r\n  down", self.crisis.id),
        )
        self.crisis.invalidate_recordset(["name", "public_title", "display_name"])
        lines = self.crisis.impact_ids
        wizard = (
            self.env["crisis.notify.wizard"]
            .with_user(self.user_crisis)
            .with_context(default_crisis_id=self.crisis.id)
            .create({"kind": "initial"})
        )
        wizard.action_send()
        mails = self._mails_of(lines)
        self.assertEqual(len(mails), 2)
        with self.mock_mail_gateway():
            self.env["mail.mail"].sudo().process_email_queue()
        self.assertEqual(set(mails.mapped("state")), {"sent"})
        self._crisis_apply_reach()
        self.assertEqual(set(lines.mapped("contact_status")), {"notified"})
        self.assertEqual(len(self._mails), 2)
        for mail in self._mails:
            # on one line, as Odoo makes an email subject (line breaks become spaces)
            self.assertIn("important information about Checkout   down (", mail["subject"])
        notifications = self._messages(lines, "Dear").notification_ids
        self.assertEqual(set(notifications.mapped("notification_status")), {"sent"})
