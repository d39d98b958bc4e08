from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, clean_context, format_amount, format_date, split_every

from odoo.addons.crisis_management.models.crisis_impact import CUSTOMER_EMAIL_LAYOUT
from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

# cards and history lines made per create() call
ISSUE_BATCH_SIZE = 1000
# what the delivery writes: the card and what was put on it
LOYALTY_FIELDS = ("loyalty_card_id", "loyalty_amount", "loyalty_currency_id")
# the customer is emailed; the followers of the compensation are not
CUSTOMER_EMAIL_SUBTYPE = "crisis_management_loyalty.mt_compensation_customer_email"
TEMPLATES = {
    "gift_card": "crisis_management_loyalty.mail_template_compensation_gift_card",
    "ewallet": "crisis_management_loyalty.mail_template_compensation_ewallet",
}


class CrisisCompensation(models.Model):
    """Voucher compensations delivered as gift cards or eWallet credit.

    When the company of a compensation issues its vouchers with a loyalty
    program (Crisis Settings), delivering an approved voucher with an amount
    issues a gift card of the program for the customer (or credits their
    eWallet), then delivers the compensation as the core does. The card is
    the compensation's for good: a compensation is never issued twice. The
    customer gets the code by email and on their page (``delivery_details``).
    Drills issue nothing: their vouchers are delivered as before.
    """

    _name = "crisis.compensation"
    _inherit = ["crisis.compensation", "crisis.mail.batch"]

    loyalty_card_id = fields.Many2one(
        "loyalty.card",
        string="Gift Card",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
        help="The gift card issued for this voucher, or the customer's eWallet it credited.",
    )
    loyalty_card_code = fields.Char(related="loyalty_card_id.code", string="Card Code")
    loyalty_program_type = fields.Selection(
        related="loyalty_card_id.program_id.program_type", string="Card Type"
    )
    loyalty_expiration_date = fields.Date(
        related="loyalty_card_id.expiration_date", string="Valid Until"
    )
    loyalty_amount = fields.Monetary(
        string="Value Issued",
        currency_field="loyalty_currency_id",
        readonly=True,
        copy=False,
        help="What the delivery put on the card, in the currency of its program.",
    )
    loyalty_currency_id = fields.Many2one(
        "res.currency", string="Card Currency", readonly=True, copy=False
    )
    can_open_loyalty_card = fields.Boolean(compute="_compute_can_open_loyalty_card")
    issues_loyalty_card = fields.Boolean(
        compute="_compute_issues_loyalty_card",
        help="Delivering this compensation issues a gift card or eWallet credit.",
    )

    @api.depends(
        "loyalty_card_id.code",
        "loyalty_card_id.expiration_date",
        "loyalty_card_id.program_id.program_type",
        "loyalty_amount",
        "loyalty_currency_id",
    )
    @api.depends_context("lang")
    def _compute_delivery_details(self):
        result = super()._compute_delivery_details()
        for compensation in self:
            # sudo: the card of the compensation, whoever reads it (Crisis
            # Users have no right on loyalty cards)
            card = compensation.sudo().loyalty_card_id
            if not card:
                continue
            amount = format_amount(
                self.env, compensation.loyalty_amount, compensation.loyalty_currency_id
            )
            if card.program_id.program_type == "ewallet":
                details = self.env._(
                    "%(amount)s added to your eWallet (card %(code)s): it pays your next "
                    "purchases.",
                    amount=amount,
                    code=card.code,
                )
            elif card.expiration_date:
                details = self.env._(
                    "Gift card %(code)s: %(amount)s, valid until %(date)s.",
                    code=card.code,
                    amount=amount,
                    date=format_date(self.env, card.expiration_date),
                )
            else:
                details = self.env._(
                    "Gift card %(code)s: %(amount)s, with no expiry date.",
                    code=card.code,
                    amount=amount,
                )
            compensation.delivery_details = details
        return result

    @api.depends("loyalty_card_id")
    @api.depends_context("uid")
    def _compute_can_open_loyalty_card(self):
        may_read = self.env["loyalty.card"].has_access("read")
        for compensation in self:
            compensation.can_open_loyalty_card = may_read and bool(compensation.loyalty_card_id)

    @api.depends("type", "amount", "is_drill", "company_id.crisis_voucher_loyalty")
    def _compute_issues_loyalty_card(self):
        to_issue = self._crisis_loyalty_to_issue()
        for compensation in self:
            compensation.issues_loyalty_card = compensation in to_issue

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(dict.fromkeys(LOYALTY_FIELDS, True))
        return guarded

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def action_deliver(self):
        """Issue the gift cards (eWallet credits) of the vouchers, then deliver.

        The rows are locked first: two deliveries of the same compensation
        at once (two clicks, a click and the background job) wait for each
        other, and the second finds it delivered, with its card.
        """
        self._crisis_lock_for_delivery()
        # delivered ones: the core says so
        issued = self.filtered(lambda c: c.loyalty_card_id and c.state != "delivered")
        if issued:
            raise UserError(
                self.env._(
                    "%(reference)s already has its card %(code)s: a compensation is issued "
                    "only once.",
                    reference=issued[0].reference,
                    code=issued[0].loyalty_card_code,
                )
            )
        to_issue = self._crisis_loyalty_to_issue()
        to_issue.company_id._crisis_voucher_program()
        drills = self.filtered(
            lambda c: c.is_drill and c.type == "voucher" and c.company_id.crisis_voucher_loyalty
        )
        # the core checks the states, the customer's answer and the access,
        # and delivers; in the same transaction, the cards follow
        result = super().action_deliver()
        to_issue._crisis_issue_loyalty()
        if drills:
            drills._message_log_batch(
                bodies={
                    drill.id: drill.env._("Drill: no gift card or eWallet credit was issued.")
                    for drill in drills
                }
            )
        return result

    def _crisis_deliver_later(self):
        """The vouchers of a company's selection above its threshold get their
        cards in the background (``crisis.compensation.delivery.job``), in
        committed batches."""
        later = super()._crisis_deliver_later()
        vouchers = (self - later)._crisis_loyalty_to_issue()
        if not vouchers:
            return later
        vouchers.company_id._crisis_voucher_program()
        Job = self.env["crisis.compensation.delivery.job"]
        for company, compensations in vouchers.grouped("company_id").items():
            if len(compensations) > company.crisis_voucher_background_threshold:
                Job._crisis_queue(compensations)
                later |= compensations
        return later

    def action_open_loyalty_card(self):
        self.ensure_one()
        card = self.loyalty_card_id
        if not card:
            raise UserError(
                self.env._("%(reference)s has no gift card.", reference=self.reference)
            )
        card.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": card.display_name,
            "res_model": "loyalty.card",
            "res_id": card.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_lock_for_delivery(self):
        if not self.ids:
            return
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crisis_compensation WHERE id = ANY(%s) ORDER BY id "
                "FOR NO KEY UPDATE",
                self.ids,
            )
        )

    def _crisis_loyalty_to_issue(self):
        """The compensations whose delivery issues a card: vouchers with an
        amount, of companies that issue them so, not of drills."""
        return self.filtered(
            lambda c: (
                c.type == "voucher"
                and c.amount > 0
                and not c.is_drill
                and c.company_id.crisis_voucher_loyalty
            )
        )

    def _crisis_issue_loyalty(self):
        """A gift card per compensation, or the credit on the customer's eWallet.

        Made with ``create()`` in batches, with a line of the card's history
        each (``loyalty.history``, linked to the compensation), as Odoo's own
        *Generate* wizard of gift cards does. Odoo's creation email of the
        card is not sent: the customer gets ours, with the compensation.

        sudo: Odoo's loyalty app gives rights on cards to sales and point of
        sale users only, not to a crisis team. The caller (``action_deliver``)
        has checked the compensations (approved by the approval workflow,
        written by this user); what the cards get comes from them only.
        """
        if not self:
            return
        today = fields.Date.context_today(self)
        Card = (
            self.env["loyalty.card"]
            .sudo()
            .with_context(clean_context(self.env.context), loyalty_no_mail=True)
        )
        History = self.env["loyalty.history"].sudo().with_context(clean_context(self.env.context))
        program_of = {}
        points_of = {}
        for compensation in self:
            program = compensation.company_id.sudo().crisis_voucher_program_id
            program_of[compensation.id] = program
            points_of[compensation.id] = compensation.currency_id._convert(
                compensation.amount, program.currency_id, compensation.company_id, today
            )
        card_of = {}
        gift_ids = [c.id for c in self if program_of[c.id].program_type == "gift_card"]
        for batch in split_every(ISSUE_BATCH_SIZE, gift_ids):
            cards = Card.create(
                [
                    self.browse(cid)._crisis_gift_card_values(
                        program_of[cid], points_of[cid], today
                    )
                    for cid in batch
                ]
            )
            card_of.update(zip(batch, cards, strict=True))
        wallet_ids = [c.id for c in self if c.id not in card_of]
        if wallet_ids:
            card_of.update(self._crisis_credit_ewallets(wallet_ids, program_of, points_of, Card))
        for batch in split_every(ISSUE_BATCH_SIZE, self.ids):
            History.create(
                [
                    {
                        "card_id": card_of[cid].id,
                        "description": self.browse(cid)._crisis_loyalty_history_description(),
                        "issued": points_of[cid],
                        "used": 0.0,
                        "order_model": self._name,
                        "order_id": cid,
                    }
                    for cid in batch
                ]
            )
        workflow = as_workflow(self)
        for compensation in workflow:
            compensation.write(
                {
                    "loyalty_card_id": card_of[compensation.id].id,
                    "loyalty_amount": points_of[compensation.id],
                    "loyalty_currency_id": program_of[compensation.id].currency_id.id,
                }
            )
        self._crisis_loyalty_notify()

    def _crisis_gift_card_values(self, program, points, today):
        self.ensure_one()
        days = self.company_id.crisis_voucher_validity_days
        return {
            "program_id": program.id,
            "partner_id": self.partner_id.id,
            "points": points,
            "expiration_date": today + timedelta(days=days) if days else False,
        }

    @api.model
    def _crisis_credit_ewallets(self, compensation_ids, program_of, points_of, Card):
        """Credit the eWallet of each customer, made when missing.

        :return: {compensation id: eWallet card}
        """
        compensations = self.browse(compensation_ids)
        key_of = {c.id: (program_of[c.id].id, c.partner_id.id) for c in compensations}
        totals = defaultdict(float)
        for cid, key in key_of.items():
            totals[key] += points_of[cid]
        wallets = {}
        programs = self.env["loyalty.program"].browse({key[0] for key in totals})
        for card in Card.search(
            [
                ("program_id", "in", programs.ids),
                ("partner_id", "in", compensations.partner_id.ids),
            ],
            order="id",
        ):
            wallets.setdefault((card.program_id.id, card.partner_id.id), card)
        # the existing ones topped up: one batched UPDATE when flushed
        for key, card in wallets.items():
            if key in totals:
                card.points += totals[key]
        missing = [key for key in totals if key not in wallets]
        for batch in split_every(ISSUE_BATCH_SIZE, missing):
            cards = Card.create(
                [
                    {"program_id": program_id, "partner_id": partner_id, "points": totals[key]}
                    for key in batch
                    for program_id, partner_id in [key]
                ]
            )
            wallets.update(zip(batch, cards, strict=True))
        return {cid: wallets[key] for cid, key in key_of.items()}

    def _crisis_loyalty_history_description(self):
        """The line of the card's history, in the customer's language."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        return env._("Compensation %(reference)s", reference=self.reference)

    def _crisis_loyalty_notify(self):
        """Email each customer their card, in the mail queue.

        As Odoo's composer in comment mode posts a template (see
        ``crisis.mail.batch``), on the compensation, in Odoo's light layout,
        with the customer-email subtype (the followers are not notified).
        Nothing goes to customers before the crisis may speak to them (the
        gate, ``crisis.crisis._crisis_speak_refusal``: its statement
        approved): those compensations get a note instead.
        """
        speaking = self.filtered(lambda c: not c.crisis_id._crisis_speak_refusal())
        for program_type, compensations in speaking.grouped("loyalty_program_type").items():
            template = self.env.ref(TEMPLATES[program_type])
            compensations._crisis_post_template(
                template, CUSTOMER_EMAIL_LAYOUT, CUSTOMER_EMAIL_SUBTYPE
            )
        quiet = self - speaking
        if quiet:
            quiet._message_log_batch(
                bodies={
                    compensation.id: compensation.env._(
                        "Card %(code)s issued, not emailed: nothing goes to the customers "
                        "before the public statement of the crisis is approved. The code "
                        "appears on the customer's page once it is.",
                        code=compensation.loyalty_card_code,
                    )
                    for compensation in quiet
                }
            )
