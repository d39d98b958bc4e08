"""Voucher compensations delivered as gift cards or eWallet credit."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.crisis_management.tests.common import CrisisCase

STATEMENT = "<p>Some orders were shipped twice. You will be compensated.</p>"
GUARD_MESSAGE = "cannot be set directly"
CRON = "crisis_management_loyalty.ir_cron_crisis_deliver_compensations"
# bulk delivery: SQL queries per 100 vouchers (22 measured: cards, history lines, the
# compensations' state and card, the emails and their messages)
QUERIES_PER_100 = 30


@tagged("post_install", "-at_install")
class TestGiftCards(CronMixinCase, HttpCase, CrisisCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.crisis = cls._create_crisis(
            user=cls.user_crisis, public_statement=STATEMENT, public_title="Double shipments"
        )
        cls.crisis.with_user(cls.user_manager).action_approve_statement()
        cls.impacts = env["crisis.impact"].create(
            [{"crisis_id": cls.crisis.id, "partner_id": p.id} for p in cls.customers]
        )
        Program = env["loyalty.program"]
        cls.gift_program = Program.create(
            {"name": "Crisis Gift Cards", "program_type": "gift_card"}
        )
        cls.ewallet_program = Program.create({"name": "Crisis eWallet", "program_type": "ewallet"})
        # Odoo's own email on the creation of a gift card, as a gift card program has
        if not cls.gift_program.communication_plan_ids.filtered(lambda p: p.trigger == "create"):
            cls.gift_program.communication_plan_ids = [
                Command.create(
                    {
                        "trigger": "create",
                        "mail_template_id": env.ref("loyalty.mail_template_gift_card").id,
                    }
                )
            ]
        cls.currency = cls.company.currency_id
        cls.company.write(
            {
                "crisis_voucher_loyalty": True,
                "crisis_voucher_program_id": cls.gift_program.id,
                "crisis_voucher_validity_days": 30,
            }
        )

    @classmethod
    def _request(cls, impact, amount=20.0, type="voucher", **values):
        return (
            cls.env["crisis.compensation"]
            .with_user(cls.user_crisis)
            .create({"impact_id": impact.id, "type": type, "amount": amount, **values})
        )

    @classmethod
    def _approved(cls, impact, amount=20.0, **values):
        compensation = cls._request(impact, amount, **values)
        compensation.action_submit()
        compensation.with_user(cls.user_manager).action_approve()
        return compensation

    def _mails_of(self, compensations):
        return self.env["mail.mail"].search(
            [("model", "=", "crisis.compensation"), ("res_id", "in", compensations.ids)]
        )

    def _cards_of(self, partners):
        return self.env["loyalty.card"].search([("partner_id", "in", partners.ids)])

    # ------------------------------------------------------------------

    def test_gift_card_issued_and_emailed(self):
        compensation = self._approved(self.impacts[0])
        self.assertTrue(compensation.issues_loyalty_card)
        self.assertIs(compensation.action_deliver(), True)
        self.assertEqual(compensation.state, "delivered")
        card = compensation.sudo().loyalty_card_id
        self.assertTrue(card)
        self.assertEqual(card.program_id, self.gift_program)
        self.assertEqual(card.partner_id, self.customers[0])
        self.assertAlmostEqual(card.points, 20.0)
        today = fields.Date.context_today(compensation)
        self.assertEqual(card.expiration_date, today + timedelta(days=30))
        self.assertEqual(compensation.loyalty_card_code, card.code)
        self.assertAlmostEqual(compensation.loyalty_amount, 20.0)
        self.assertEqual(compensation.loyalty_currency_id, self.gift_program.currency_id)
        self.assertIn(card.code, compensation.delivery_details)
        self.assertIn("valid until", compensation.delivery_details)
        # the card's history says where it comes from
        history = card.history_ids
        self.assertEqual(len(history), 1)
        self.assertEqual(
            (history.order_model, history.order_id, history.issued),
            ("crisis.compensation", compensation.id, 20.0),
        )
        self.assertIn(compensation.reference, history.description)
        self.assertIn("/my/crises/", history._get_order_portal_url())
        # one email, to the customer, with the code, in the queue
        mail = self._mails_of(compensation)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, self.customers[0])
        self.assertEqual(mail.state, "outgoing")
        self.assertIn(card.code, str(mail.body_html))
        self.assertIn("your gift card", mail.subject)
        self.assertIn(
            self.impacts[0].get_portal_url(anchor="crisis_compensations"), mail.body_html
        )
        # Odoo's own creation email of the card is not sent on top of ours
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
            )
        )
        # the followers of the compensation (the requester) are not notified of it
        message = compensation.sudo().message_ids.filtered(lambda m: m.mail_ids == mail)
        self.assertEqual(message.notified_partner_ids, self.customers[0])
        # and the customer's page shows the code
        page = self.url_open(self.impacts[0].get_portal_url()).text
        self.assertIn(card.code, page)

    def test_ewallet_created_then_topped_up(self):
        self.company.crisis_voucher_program_id = self.ewallet_program
        first = self._approved(self.impacts[1], 20.0)
        second = self._approved(self.impacts[1], 15.0)
        self.assertFalse(self._cards_of(self.customers[1]))
        first.with_user(self.user_crisis).action_deliver()
        wallet = first.loyalty_card_id
        self.assertEqual(wallet.program_id, self.ewallet_program)
        self.assertEqual(wallet.partner_id, self.customers[1])
        self.assertAlmostEqual(wallet.points, 20.0)
        self.assertFalse(wallet.expiration_date, "eWallet credit does not expire")
        second.with_user(self.user_crisis).action_deliver()
        self.assertEqual(second.loyalty_card_id, wallet, "the same eWallet, topped up")
        self.assertEqual(self._cards_of(self.customers[1]), wallet)
        self.assertAlmostEqual(wallet.points, 35.0)
        self.assertEqual(sorted(wallet.history_ids.mapped("issued")), [15.0, 20.0])
        self.assertIn("added to your eWallet", second.delivery_details)
        self.assertIn(wallet.code, second.delivery_details)
        mails = self._mails_of(first | second)
        self.assertEqual(len(mails), 2)
        self.assertTrue(all("eWallet" in mail.subject for mail in mails))

    def test_never_twice(self):
        compensation = self._approved(self.impacts[0])
        compensation.with_user(self.user_crisis).action_deliver()
        card = compensation.sudo().loyalty_card_id
        with self.assertRaisesRegex(UserError, "already delivered"):
            compensation.with_user(self.user_crisis).action_deliver()
        # even back to approved (the superuser, a repair): the card is not issued again
        compensation.sudo().state = "approved"
        with self.assertRaisesRegex(UserError, "issued only once"):
            compensation.with_user(self.user_crisis).action_deliver()
        with self.assertRaisesRegex(UserError, "issued only once"):
            compensation.with_user(self.user_crisis).action_deliver_selection()
        self.assertEqual(self._cards_of(self.customers[0]), card)
        self.assertEqual(len(self._mails_of(compensation)), 1)

    def test_no_program_is_a_clear_error(self):
        compensation = self._approved(self.impacts[0])
        self.company.crisis_voucher_program_id = False
        with self.assertRaisesRegex(UserError, r"Configuration > Settings"):
            compensation.with_user(self.user_crisis).action_deliver()
        # an archived program is no program
        self.company.crisis_voucher_program_id = self.gift_program
        self.gift_program.action_archive()
        with self.assertRaisesRegex(UserError, r"no active gift card or eWallet program"):
            compensation.with_user(self.user_crisis).action_deliver()
        self.assertEqual(compensation.state, "approved")
        self.assertFalse(self._cards_of(self.customers[0]))

    def test_program_of_the_company_and_currency_conversion(self):
        other = self.env["loyalty.program"].create(
            {"name": "Elsewhere", "program_type": "gift_card", "company_id": self.company_2.id}
        )
        with self.assertRaisesRegex(ValidationError, "belongs to"):
            self.company.crisis_voucher_program_id = other
        with self.assertRaisesRegex(ValidationError, "not a gift card or eWallet"):
            self.company.crisis_voucher_program_id = self.env["loyalty.program"].create(
                {"name": "Promo", "program_type": "promotion"}
            )
        # a shared program (no company) is fine
        self.gift_program.company_id = False
        self.company.crisis_voucher_program_id = self.gift_program
        # a compensation in another currency: the card gets its value in the program's
        foreign = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("id", "!=", self.currency.id)], limit=1)
        )
        foreign.active = True
        # dated today wherever the day is asked: in UTC, and in the time zones
        # of this test's user and of the crisis user who delivers (before
        # midnight UTC, one of them may already be tomorrow)
        days = {
            fields.Date.today(),
            fields.Date.context_today(self.env.user),
            fields.Date.context_today(self.env["res.users"].with_user(self.user_crisis)),
        }
        self.env["res.currency.rate"].create(
            [
                {
                    "currency_id": foreign.id,
                    "name": day,
                    "rate": 2.0,
                    "company_id": self.company.id,
                }
                for day in sorted(days)
            ]
        )
        self.assertEqual(self.gift_program.currency_id, self.currency)
        compensation = self._approved(self.impacts[2], 50.0, currency_id=foreign.id)
        compensation.with_user(self.user_crisis).action_deliver()
        self.assertAlmostEqual(compensation.loyalty_card_id.points, 25.0)
        self.assertAlmostEqual(compensation.loyalty_amount, 25.0)
        self.assertEqual(compensation.loyalty_currency_id, self.currency)

    def test_drills_issue_nothing_and_quiet_crises_email_nothing(self):
        drill = self._create_crisis(user=self.user_crisis, is_drill=True, name="Recall drill")
        drill_line = self.env["crisis.impact"].create(
            {"crisis_id": drill.id, "partner_id": self.customers[3].id}
        )
        rehearsed = self._approved(drill_line)
        self.assertFalse(rehearsed.issues_loyalty_card)
        rehearsed.with_user(self.user_crisis).action_deliver()
        self.assertEqual(rehearsed.state, "delivered")
        self.assertFalse(rehearsed.loyalty_card_id)
        self.assertFalse(self._cards_of(self.customers[3]))
        self.assertFalse(self._mails_of(rehearsed))
        self.assertIn("Drill", rehearsed.message_ids[0].body)
        # a real crisis whose statement is not approved: the card, no email yet
        quiet = self._create_crisis(user=self.user_crisis, name="Not yet public")
        quiet_line = self.env["crisis.impact"].create(
            {"crisis_id": quiet.id, "partner_id": self.customers[4].id}
        )
        compensation = self._approved(quiet_line)
        compensation.with_user(self.user_crisis).action_deliver()
        self.assertTrue(compensation.loyalty_card_id)
        self.assertFalse(self._mails_of(compensation))
        self.assertIn("not emailed", compensation.message_ids[0].body)

    def test_other_types_go_through_the_core(self):
        service = self._approved(self.impacts[0], type="free_service")
        free = self._approved(self.impacts[0], 0.0)
        self.assertFalse(service.issues_loyalty_card or free.issues_loyalty_card)
        (service | free).with_user(self.user_crisis).action_deliver()
        self.assertEqual((service | free).mapped("state"), ["delivered", "delivered"])
        self.assertFalse((service | free).loyalty_card_id)
        self.assertFalse(service.delivery_details)
        self.assertFalse(self._cards_of(self.customers[0]))
        # and a company that does not issue cards delivers vouchers by hand
        self.company.crisis_voucher_loyalty = False
        voucher = self._approved(self.impacts[1])
        voucher.with_user(self.user_crisis).action_deliver()
        self.assertEqual(voucher.state, "delivered")
        self.assertFalse(voucher.loyalty_card_id)

    def test_guarded_fields_and_access(self):
        compensation = self._approved(self.impacts[0])
        card = self.env["loyalty.card"].create(
            {"program_id": self.gift_program.id, "partner_id": self.customers[0].id, "points": 500}
        )
        as_user = compensation.with_user(self.user_crisis)
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            as_user.write({"loyalty_card_id": card.id})
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            as_user.write({"loyalty_amount": 500})
        with self.assertRaisesRegex(UserError, GUARD_MESSAGE):
            self._request(self.impacts[1], loyalty_card_id=card.id)
        # a Crisis User has no right on loyalty cards, yet delivers the card
        with self.assertRaises(AccessError):
            self.env["loyalty.card"].with_user(self.user_crisis).check_access("read")
        # an employee outside the crisis team cannot deliver
        with self.assertRaises(AccessError):
            compensation.with_user(self.user_internal).action_deliver()
        self.assertFalse(compensation.loyalty_card_id)
        as_user.action_deliver()
        self.assertTrue(as_user.loyalty_card_code)
        self.assertFalse(as_user.can_open_loyalty_card)
        with self.assertRaises(AccessError):
            as_user.action_open_loyalty_card()
        action = compensation.sudo().action_open_loyalty_card()
        self.assertEqual(
            (action["res_model"], action["res_id"]),
            ("loyalty.card", compensation.loyalty_card_id.id),
        )
        # the Crisis Manager chooses the program in the crisis settings
        programs = self.env["loyalty.program"].with_user(self.user_manager).name_search("Crisis")
        self.assertIn(self.gift_program.id, [pid for pid, _name in programs])

    def test_bulk_at_once(self):
        compensations = self.env["crisis.compensation"].union(
            *(self._approved(impact) for impact in self.impacts)
        )
        service = self._approved(self.impacts[0], type="free_service")
        action = (compensations | service).with_user(self.user_crisis).action_deliver_selection()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("6 compensation(s) delivered", action["params"]["message"])
        self.assertEqual(set((compensations | service).mapped("state")), {"delivered"})
        self.assertEqual(compensations.loyalty_card_id.partner_id, self.customers)
        self.assertEqual(len(self._mails_of(compensations)), 5)
        draft = self._request(self.impacts[1])
        with self.assertRaisesRegex(UserError, "None of the selected compensations is approved"):
            draft.with_user(self.user_crisis).action_deliver_selection()

    def test_bulk_query_budget(self):
        def queries_for(count):
            partners = self.env["res.partner"].create(
                [
                    {"name": f"Bulk {count} {i}", "email": f"bulk{count}.{i}@example.com"}
                    for i in range(count)
                ]
            )
            self.env["crisis.impact"]._link_partners(self.crisis, partners.ids)
            impacts = self.crisis.impact_ids.filtered(lambda i: i.partner_id in partners)
            compensations = self.env["crisis.compensation"].union(
                *(self._approved(impact) for impact in impacts)
            )
            compensations = compensations.with_user(self.user_crisis)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            compensations.action_deliver_selection()
            self.env.flush_all()
            self.assertEqual(len(compensations.loyalty_card_id), count)
            return self.cr.sql_log_count - before

        small, large = queries_for(10), queries_for(60)
        per_100 = (large - small) * 100 / 50
        self.assertLessEqual(per_100, QUERIES_PER_100, f"{small} then {large} queries")

    def test_bulk_in_the_background(self):
        self.company.crisis_voucher_background_threshold = 2
        compensations = self.env["crisis.compensation"].union(
            *(self._approved(impact) for impact in self.impacts)
        )
        with self.capture_triggers(CRON) as capture:
            action = compensations.with_user(self.user_crisis).action_deliver_selection()
        self.assertEqual(len(capture.records), 1, "the job is started")
        self.assertEqual(action["params"]["type"], "info")
        self.assertIn("background", action["params"]["message"])
        self.assertEqual(set(compensations.mapped("state")), {"approved"}, "nothing yet")
        job = self.env["crisis.compensation.delivery.job"].search([], limit=1)
        self.assertEqual(
            (job.state, job.total_count, job.user_id), ("queued", 5, self.user_crisis)
        )
        # one is delivered by hand meanwhile: the job skips it
        compensations[-1].with_user(self.user_crisis).action_deliver()
        Job = self.env["crisis.compensation.delivery.job"]
        Job._cron_deliver_compensations(batch_size=2)
        self.assertEqual((job.state, job.processed_count), ("running", 2))
        self.assertEqual(len(compensations.filtered("loyalty_card_id")), 3)
        Job._cron_deliver_compensations(batch_size=2)
        Job._cron_deliver_compensations(batch_size=2)
        self.assertEqual(job.state, "done")
        self.assertEqual((job.processed_count, job.delivered_count), (5, 4))
        self.assertEqual(set(compensations.mapped("state")), {"delivered"})
        self.assertEqual(len(compensations.loyalty_card_id), 5)
        self.assertEqual(len(self._mails_of(compensations)), 5, "one email each, never two")
        self.assertIn("4 compensation(s) delivered", self.crisis.message_ids[0].body)
        Job._cron_deliver_compensations(batch_size=2)  # nothing left: nothing happens
        self.assertEqual(len(self._mails_of(compensations)), 5)

    def test_background_job_fails_cleanly(self):
        self.company.crisis_voucher_background_threshold = 0
        compensations = self._approved(self.impacts[0]) | self._approved(self.impacts[1])
        compensations.with_user(self.user_crisis).action_deliver_selection()
        self.company.crisis_voucher_program_id = False
        self.env["crisis.compensation.delivery.job"]._cron_deliver_compensations()
        job = self.env["crisis.compensation.delivery.job"].search([], limit=1)
        self.assertEqual(job.state, "failed")
        self.assertIn("Configuration > Settings", job.error)
        self.assertEqual(set(compensations.mapped("state")), {"approved"}, "rolled back")
        self.assertFalse(compensations.loyalty_card_id)
