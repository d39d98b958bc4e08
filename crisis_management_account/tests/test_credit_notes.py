import xmlrpc.client

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import CrisisAccountCase


@tagged("post_install", "-at_install")
class TestCreditNotes(CrisisAccountCase):
    def test_refund_makes_a_draft_credit_note_posting_delivers(self):
        self.assertFalse(self.company.crisis_credit_note_post, "draft by default")
        compensation = self._approved(amount=20.0)
        self.assertIs(compensation.action_deliver(), True)

        move = compensation.move_id
        self.assertEqual(compensation.state, "approved", "delivered only when posted")
        self.assertEqual(compensation.credit_note_ids, move)
        self.assertEqual(move.move_type, "out_refund")
        self.assertEqual(move.state, "draft")
        self.assertEqual(move.partner_id, self.partner_a)
        self.assertEqual(move.company_id, self.company)
        self.assertEqual(move.journal_id, self.sale_journal)
        self.assertEqual(move.currency_id, self.company.currency_id)
        self.assertEqual(move.crisis_compensation_ids, compensation)
        self.assertEqual(move.invoice_origin, compensation.reference)
        self.assertEqual(move.ref, compensation.reference)
        self.assertIn(self.crisis.reference, str(move.narration))
        line = move.invoice_line_ids
        self.assertEqual(line.product_id, self.refund_product)
        self.assertEqual(line.tax_ids, self.tax_sale_a, "the product's taxes")
        self.assertEqual(line.account_id, self.company_data["default_account_revenue"])
        self.assertAlmostEqual(move.amount_total, 20.0, msg="what the customer was promised")
        self.assertAlmostEqual(move.amount_tax, 2.61)
        self.assertTrue(any("Draft credit note made" in m for m in self._messages(compensation)))
        self.assertFalse(compensation.delivery_details)

        move.with_user(self.user_billing).action_post()
        self.assertEqual(compensation.state, "delivered")
        self.assertTrue(compensation.date_delivered)
        self.assertRegex(move.name, r"^RINV/")
        self.assertIn(move.name, compensation.delivery_details)
        self.assertIn("20.00", compensation.delivery_details)
        self.assertTrue(any("is posted" in m for m in self._messages(compensation)))

    def test_posted_at_once_and_never_two_credit_notes(self):
        self.company.crisis_credit_note_post = True
        compensation = self._approved(amount=50.0)
        compensation.action_deliver()
        self.assertEqual(compensation.state, "delivered")
        self.assertEqual(compensation.move_id.state, "posted")
        with self.assertRaisesRegex(UserError, "already delivered"):
            compensation.action_deliver()

        self.company.crisis_credit_note_post = False
        draft = self._approved(amount=10.0)
        draft.action_deliver()
        with self.assertRaisesRegex(UserError, "already has the credit note"):
            draft.action_deliver()
        with self.assertRaisesRegex(UserError, "cancel the credit note first"):
            draft.with_user(self.user_manager).action_cancel()
        self.assertEqual(len(draft.credit_note_ids), 1)

    def test_cancelled_credit_note_sends_back_to_approved(self):
        self.company.crisis_credit_note_post = True
        compensation = self._approved()
        compensation.action_deliver()
        first = compensation.move_id
        first.with_user(self.user_billing).button_cancel()
        self.assertEqual(first.state, "cancel")
        self.assertEqual(compensation.state, "approved")
        self.assertFalse(compensation.date_delivered)
        self.assertFalse(compensation.move_id)
        self.assertFalse(compensation.delivery_details)
        self.assertTrue(any("was cancelled" in m for m in self._messages(compensation)))

        # delivered again: a new credit note, the cancelled one kept in the history
        compensation.action_deliver()
        second = compensation.move_id
        self.assertNotEqual(second, first)
        self.assertEqual(compensation.credit_note_ids, first | second)
        self.assertEqual(compensation.credit_note_count, 2)
        self.assertEqual(compensation.state, "delivered")
        # the cancelled one cannot come back: two credit notes for one compensation
        with self.assertRaisesRegex(UserError, "cannot go back to draft"):
            first.with_user(self.user_billing).button_draft()

    def test_reset_to_draft_and_deleted(self):
        self.company.crisis_credit_note_post = True
        compensation = self._approved()
        compensation.action_deliver()
        move = compensation.move_id.with_user(self.user_billing)
        move.button_draft()
        self.assertEqual(compensation.state, "approved")
        self.assertEqual(compensation.move_id, move, "still its credit note")
        self.assertTrue(any("reset to draft" in m for m in self._messages(compensation)))
        move.action_post()
        self.assertEqual(compensation.state, "delivered")
        move.button_draft()
        move.with_context(force_delete=True).unlink()
        self.assertEqual(compensation.state, "approved")
        self.assertFalse(compensation.move_id)
        self.assertFalse(compensation.credit_note_ids)
        self.assertTrue(any("was deleted" in m for m in self._messages(compensation)))

    def test_cancelled_draft_credit_note_is_told(self):
        compensation = self._approved()
        compensation.action_deliver()
        compensation.move_id.with_user(self.user_billing).button_cancel()
        self.assertEqual(compensation.state, "approved")
        self.assertFalse(compensation.move_id)
        self.assertTrue(any("draft credit note" in m for m in self._messages(compensation)))

    def test_partial_reversal_of_a_named_invoice(self):
        invoice = self.init_invoice(
            "out_invoice",
            partner=self.partner_a,
            amounts=[1000.0],
            taxes=self.tax_sale_a,
            post=True,
        )
        self.assertAlmostEqual(invoice.amount_total, 1150.0)
        compensation = self._approved(amount=115.0)
        compensation.invoice_id = invoice
        self.company.crisis_credit_note_post = True
        compensation.action_deliver()

        move = compensation.move_id
        self.assertEqual(move.reversed_entry_id, invoice, "Odoo's reversal")
        self.assertEqual(move.move_type, "out_refund")
        self.assertIn(invoice.name, move.ref)
        self.assertEqual(len(move.invoice_line_ids), 1, "the compensation's line only")
        self.assertAlmostEqual(move.amount_total, 115.0)
        self.assertEqual(compensation.state, "delivered")
        self.assertAlmostEqual(invoice.amount_residual, 1035.0, msg="reconciled with the invoice")
        self.assertEqual(invoice.payment_state, "partial")
        with self.assertRaisesRegex(UserError, "invoice to reverse can change only"):
            compensation.invoice_id = False

        # no more than what is left to refund on the invoice
        too_much = self._approved(amount=1100.0, invoice_id=invoice.id)
        with self.assertRaisesRegex(UserError, "more than what is left"):
            too_much.action_deliver()
        self.assertFalse(too_much.credit_note_ids)

    def test_invoice_to_reverse_must_be_the_customers(self):
        invoice = self.init_invoice(
            "out_invoice", partner=self.partner_b, amounts=[100.0], post=True
        )
        with self.assertRaisesRegex(ValidationError, "customer invoice of partner_a"):
            self._approved(invoice_id=invoice.id)

    def test_second_company(self):
        compensation = self._approved(impact=self.impact_2, amount=30.0)
        compensation.with_company(self.company_2).action_deliver()
        move = compensation.move_id
        self.assertEqual(move.company_id, self.company_2)
        self.assertEqual(move.journal_id, self.company_data_2["default_journal_sale"])
        self.assertEqual(move.invoice_line_ids.account_id.company_ids, self.company_2)
        self.assertEqual(move.currency_id, self.company_2.currency_id)
        self.assertAlmostEqual(move.amount_total, 30.0)
        # a user of the first company only cannot deliver it
        self.user_billing.company_ids = self.company
        other = self._approved(impact=self.impact_a)
        other.action_deliver()  # their own company: fine
        with self.assertRaises(AccessError):
            self.env["crisis.compensation"].with_user(self.user_billing).browse(
                compensation.id
            ).with_company(self.company_2).action_deliver()

    def test_foreign_currency(self):
        compensation = self._approved(amount=40.0, currency_id=self.other_currency.id)
        self.company.crisis_credit_note_post = True
        compensation.action_deliver()
        move = compensation.move_id
        self.assertEqual(move.currency_id, self.other_currency)
        self.assertAlmostEqual(move.amount_total, 40.0)
        # EUR at 2 per company currency unit: half in the books
        self.assertAlmostEqual(move.amount_total_signed, -20.0)
        self.assertIn("40.00", compensation.delivery_details)

    def test_user_without_invoicing_rights_is_refused(self):
        compensation = self._approved().with_user(self.user_crisis)
        with self.assertRaisesRegex(AccessError, "invoicing rights"):
            compensation.action_deliver()
        self.assertFalse(compensation.sudo().credit_note_ids)
        self.assertEqual(compensation.state, "approved")
        # other types still go through the core, for them too
        voucher = self._approved(ctype="voucher").with_user(self.user_crisis)
        self.assertIs(voucher.action_deliver(), True)
        self.assertEqual(voucher.state, "delivered")
        self.assertFalse(voucher.sudo().credit_note_ids)

    def test_drills_never_reach_the_books(self):
        self.crisis.sudo().is_drill = True
        compensation = self._approved()
        compensation.action_deliver()
        self.assertEqual(compensation.state, "delivered")
        self.assertFalse(compensation.credit_note_ids)

    def test_guarded_fields(self):
        compensation = self._approved()
        compensation.action_deliver()
        move = compensation.move_id
        other = self.init_invoice("out_refund", partner=self.partner_a, amounts=[5.0])
        for user in (self.user_billing, self.user_manager, self.user_crisis):
            as_user = compensation.with_user(user)
            with self.assertRaisesRegex(UserError, "cannot be set directly"):
                as_user.write({"credit_note_ids": [Command.link(other.id)]})
            with self.assertRaisesRegex(UserError, "cannot be set directly"):
                as_user.write({"move_id": other.id})
        with self.assertRaisesRegex(UserError, "linked by delivering"):
            other.with_user(self.user_billing).write(
                {"crisis_compensation_ids": [Command.link(compensation.id)]}
            )
        with self.assertRaisesRegex(UserError, "linked by delivering"):
            self.env["account.move"].with_user(self.user_billing).create(
                {
                    "move_type": "out_refund",
                    "partner_id": self.partner_a.id,
                    "crisis_compensation_ids": [Command.set(compensation.ids)],
                }
            )
        with self.assertRaises(UserError):
            self.env["crisis.compensation"].with_user(self.user_billing).create(
                {
                    "impact_id": self.impact_a.id,
                    "type": "refund",
                    "amount": 5.0,
                    "credit_note_ids": [Command.set(move.ids)],
                }
            )
        self.assertEqual(compensation.credit_note_ids, move)
        # a copy of the credit note pays nothing
        self.assertFalse(move.with_user(self.user_billing).copy().crisis_compensation_ids)

    def test_external_api_values(self):
        compensation = self._approved()
        result = compensation.action_deliver()
        xmlrpc.client.dumps((result,), allow_none=False)
        action = compensation.action_view_credit_notes()
        xmlrpc.client.dumps((action,), allow_none=False)
        self.assertEqual(action["res_id"], compensation.move_id.id)
        back = compensation.move_id.action_view_crisis_compensations()
        xmlrpc.client.dumps((back,), allow_none=False)
        self.assertEqual(back["res_id"], compensation.id)
        self.assertEqual(compensation.move_id.crisis_compensation_count, 1)

    def test_customer_can_no_longer_decline_once_credited(self):
        compensation = self._approved()
        compensation.action_deliver()
        with self.assertRaisesRegex(UserError, "being delivered"):
            compensation.sudo()._crisis_portal_decline("Changed my mind")
        self.assertEqual(compensation.state, "approved")
        # the customer's page offers no button whose answer would be refused
        self.assertEqual(compensation.move_id.state, "draft")
        self.assertFalse(compensation.sudo()._crisis_portal_answerable())
        self.assertEqual(compensation.sudo()._crisis_portal_status(), "Being delivered")

    def test_settings_refuse_another_companys_records(self):
        """A company's credit notes are made with its own journal, account and
        product: another company's are refused where they are saved, through
        the settings (as the Crisis Manager saving them) and on the company."""
        other = self.company_data_2
        other_product = self._create_product(name="Other refund", company_id=self.company_2.id)
        purchase_journal = self.company_data["default_journal_purchase"]
        expense_account = self.company_data["default_account_expense"]
        Settings = self.env["crisis.config.settings"].with_user(self.user_manager)
        for field, value, error in (
            ("crisis_credit_note_journal_id", other["default_journal_sale"], UserError),
            ("crisis_credit_note_account_id", other["default_account_revenue"], UserError),
            ("crisis_credit_note_product_id", other_product, UserError),
            ("crisis_credit_note_journal_id", purchase_journal, ValidationError),
            ("crisis_credit_note_account_id", expense_account, ValidationError),
        ):
            with self.subTest(field=field, value=value.display_name):
                with self.assertRaises(error):
                    Settings.create({"company_id": self.company.id, field: value.id})
                with self.assertRaises(error):
                    self.company.write({field: value.id})
                self.assertNotEqual(self.company[field], value)
        # the second company's own journal is its own
        settings = Settings.with_company(self.company_2).create(
            {
                "company_id": self.company_2.id,
                "crisis_credit_note_journal_id": other["default_journal_sale"].id,
            }
        )
        self.assertEqual(settings.crisis_credit_note_journal_id, other["default_journal_sale"])
        self.assertEqual(
            self.company_2.crisis_credit_note_journal_id, other["default_journal_sale"]
        )
