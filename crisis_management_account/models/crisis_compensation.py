from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_amount, split_every

from odoo.addons.crisis_management.models.crisis_workflow_mixin import as_workflow

# the compensation types paid in money: delivered as a customer credit note
MONEY_TYPES = ("refund", "credit")
# credit notes made per create() call
CREDIT_NOTE_BATCH_SIZE = 500
INVOICE_RIGHTS = "account.group_account_invoice"
ACCOUNTING_READERS = "account.group_account_invoice,account.group_account_readonly"
# while the invoice to reverse may change
INVOICE_STATES = ("draft", "to_approve", "approved")


class CrisisCompensation(models.Model):
    """Refunds and credits are delivered as customer credit notes.

    ``action_deliver`` makes the credit note (``out_refund``) of each refund
    or credit with an amount, as the user who clicks, with their invoicing
    rights: a new one from the company's product or income account, or a
    partial reversal of the customer's invoice the compensation names. The
    compensation is delivered while its credit note is posted
    (``account.move._crisis_sync_compensations``). Drills and the other types
    go through the core as before.
    """

    _inherit = "crisis.compensation"

    credit_note_ids = fields.Many2many(
        "account.move",
        "crisis_compensation_account_move_rel",
        "compensation_id",
        "move_id",
        string="Credit Notes",
        readonly=True,
        copy=False,
        groups=ACCOUNTING_READERS,
        help="Every credit note made for this compensation, the cancelled ones included.",
    )
    move_id = fields.Many2one(
        "account.move",
        string="Credit Note",
        compute="_compute_move_id",
        store=True,
        index="btree_not_null",
        groups=ACCOUNTING_READERS,
        help="The credit note of this compensation (draft or posted): it is delivered when "
        "the credit note is posted.",
    )
    credit_note_count = fields.Integer(
        compute="_compute_credit_note_count", groups=ACCOUNTING_READERS
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Invoice to Reverse",
        copy=False,
        check_company=True,
        groups=ACCOUNTING_READERS,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', commercial_partner_id), "
        "('currency_id', '=', currency_id)]",
        help="A posted invoice of the customer that the refund reduces: the credit note is a "
        "reversal of that invoice for the compensation's amount, reconciled with it. Empty: "
        "a new credit note.",
    )
    commercial_partner_id = fields.Many2one(related="partner_id.commercial_partner_id")
    is_credit_note_type = fields.Boolean(
        compute="_compute_is_credit_note_type",
        help="A refund or credit with an amount, not of a drill: delivered as a credit note.",
    )
    has_credit_note = fields.Boolean(
        compute="_compute_has_credit_note",
        help="The compensation has a credit note, draft or posted.",
    )

    @api.depends("credit_note_ids.state")
    def _compute_move_id(self):
        for compensation in self:
            live = compensation.credit_note_ids.filtered(lambda move: move.state != "cancel")
            compensation.move_id = live.sorted("id", reverse=True)[:1]

    @api.depends("credit_note_ids")
    def _compute_credit_note_count(self):
        for compensation in self:
            compensation.credit_note_count = len(compensation.credit_note_ids)

    @api.depends("move_id")
    def _compute_has_credit_note(self):
        # sudo: whether there is one, for the buttons of users without accounting rights
        for compensation in self:
            compensation.has_credit_note = bool(compensation.sudo().move_id)

    @api.depends("type", "amount", "is_drill")
    def _compute_is_credit_note_type(self):
        for compensation in self:
            compensation.is_credit_note_type = compensation._crisis_by_credit_note()

    @api.depends("state", "move_id.state", "move_id.name", "move_id.amount_total")
    def _compute_delivery_details(self):
        result = super()._compute_delivery_details()
        for compensation in self.filtered(lambda c: c.state == "delivered"):
            # sudo: the number and amount of the customer's own credit note,
            # for the team and the customer's page (no accounting rights needed)
            move = compensation.sudo().move_id
            if move.state == "posted":
                compensation.delivery_details = self.env._(
                    "Credit note %(number)s of %(amount)s",
                    number=move.name,
                    amount=format_amount(self.env, move.amount_total, move.currency_id),
                )
        return result

    @api.constrains("invoice_id", "partner_id", "currency_id", "company_id")
    def _check_invoice_id(self):
        for compensation in self.sudo().filtered("invoice_id"):
            invoice = compensation.invoice_id
            if (
                invoice.move_type != "out_invoice"
                or invoice.commercial_partner_id != compensation.partner_id.commercial_partner_id
                or invoice.company_id != compensation.company_id
                or invoice.currency_id != compensation.currency_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(reference)s: the invoice to reverse must be a customer invoice of "
                        "%(customer)s in %(currency)s, of the same company.",
                        reference=compensation.reference,
                        customer=compensation.partner_id.commercial_partner_id.display_name,
                        currency=compensation.currency_id.name,
                    )
                )

    def write(self, vals):
        if "invoice_id" in vals and not self._crisis_is_workflow():
            locked = self.filtered(lambda c: c.state not in INVOICE_STATES or c.sudo().move_id)
            if locked:
                raise UserError(
                    self.env._(
                        "%(reference)s: the invoice to reverse can change only until the "
                        "compensation has a credit note or is delivered.",
                        reference=locked[0].reference,
                    )
                )
        return super().write(vals)

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["credit_note_ids"] = True
        return guarded

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def action_deliver(self):
        """Refunds and credits get their credit note; the others the core's delivery."""
        by_credit_note = self.filtered(lambda c: c._crisis_by_credit_note())
        if not by_credit_note:
            return super().action_deliver()
        by_credit_note._crisis_check_deliverable()
        others = self - by_credit_note
        if others:
            super(CrisisCompensation, others).action_deliver()
        by_credit_note._crisis_make_credit_notes()
        return True

    def action_cancel(self):
        with_note = self.filtered(lambda c: c.sudo().move_id)
        if with_note:
            raise UserError(
                self.env._(
                    "%(reference)s has the credit note %(move)s: cancel the credit note first.",
                    reference=with_note[0].reference,
                    move=with_note[0].sudo().move_id.display_name,
                )
            )
        return super().action_cancel()

    def _crisis_delivery_waiting_text(self):
        by_credit_note = self.filtered(lambda c: c.sudo().move_id)
        if by_credit_note != self:
            return super()._crisis_delivery_waiting_text()
        return self.env._(
            "%(count)s credit note(s) drafted: the compensations are delivered when the "
            "credit notes are posted.",
            count=len(by_credit_note.sudo().move_id),
        )

    def _crisis_ready_to_deliver(self):
        """Those with a draft credit note wait for the accountant, not for *Deliver*."""
        return super()._crisis_ready_to_deliver().filtered(lambda c: not c.sudo().move_id)

    def _crisis_deliver_later(self):
        """The credit notes of a company's selection above its threshold are
        made in the background (``crisis.credit.note.job``)."""
        later = super()._crisis_deliver_later()
        by_credit_note = (self - later).filtered(lambda c: c._crisis_by_credit_note())
        by_credit_note._crisis_check_deliverable()
        Job = self.env["crisis.credit.note.job"]
        for company, compensations in by_credit_note.grouped("company_id").items():
            if len(compensations) > company.crisis_credit_note_background_threshold:
                Job._crisis_queue(compensations)
                later |= compensations
        return later

    def action_view_credit_notes(self):
        self.ensure_one()
        moves = self.credit_note_ids
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Notes"),
            "res_model": "account.move",
            "context": {"create": False, "default_move_type": "out_refund"},
        }
        if len(moves) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=moves.id)
        else:
            action.update(
                view_mode="list,form",
                views=[(False, "list"), (False, "form")],
                domain=[("id", "in", moves.ids)],
            )
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _crisis_portal_check_answerable(self):
        """Once its credit note is made, the customer no longer answers on
        their page: the accounting is under way."""
        result = super()._crisis_portal_check_answerable()
        if self.sudo().move_id:
            raise UserError(
                self.env._(
                    "%(reference)s is being delivered: it can no longer be accepted or "
                    "declined here. Contact us to change it.",
                    reference=self.reference,
                )
            )
        return result

    def _crisis_by_credit_note(self):
        """Whether this compensation is delivered as a credit note: money
        types with an amount, never for a drill."""
        self.ensure_one()
        return self.type in MONEY_TYPES and self.amount > 0 and not self.is_drill

    def _crisis_check_deliverable(self):
        """The core's checks, plus for those delivered as credit notes:
        invoicing rights, and never two live credit notes for one compensation."""
        super()._crisis_check_deliverable()
        by_credit_note = self.filtered(lambda c: c._crisis_by_credit_note())
        if not by_credit_note:
            return
        if not self.env.su and not self.env.user.has_group(INVOICE_RIGHTS):
            raise AccessError(
                self.env._(
                    "%(reference)s is a refund or credit: delivering it makes a customer credit "
                    "note, which only users with invoicing rights can do. Ask your accountant "
                    "to deliver it.",
                    reference=by_credit_note[0].reference,
                )
            )
        with_note = by_credit_note.filtered(lambda c: c.sudo().move_id)
        if with_note:
            raise UserError(
                self.env._(
                    "%(reference)s already has the credit note %(move)s: post it to deliver the "
                    "compensation (or cancel it to make a new one).",
                    reference=with_note[0].reference,
                    move=with_note[0].sudo().move_id.display_name,
                )
            )

    def _crisis_make_credit_notes(self, post=None, group=None):
        """Make (and post, per the company's setting) the credit notes of
        these approved refunds and credits, with the user's own rights.

        One per compensation, or (``group``, the company's setting by
        default) one per customer and currency with a line per compensation;
        compensations naming an invoice get a partial reversal of it each.
        Made by ``create()`` in batches of ``CREDIT_NOTE_BATCH_SIZE``.

        :return: the credit notes
        """
        moves = self.env["account.move"]
        for company, compensations in self.grouped("company_id").items():
            env_company = compensations.with_company(company).env
            settings = compensations._crisis_credit_note_settings(company)
            grouping = company.crisis_credit_note_group_by_customer if group is None else group
            reversing = compensations.filtered(lambda c: c.sudo().invoice_id)
            plain = compensations - reversing
            if grouping:
                groups = list(plain.grouped(lambda c: (c.partner_id, c.currency_id)).values())
            else:
                groups = list(plain)
            fiscal_positions = {}
            Move = as_workflow(env_company["account.move"]).with_context(
                default_move_type="out_refund"
            )
            company_moves = env_company["account.move"]
            for batch in split_every(CREDIT_NOTE_BATCH_SIZE, groups, list):
                vals_list = [
                    group_compensations._crisis_credit_note_values(settings, fiscal_positions)
                    for group_compensations in batch
                ]
                company_moves |= Move.create(vals_list)
            if reversing:
                company_moves |= reversing.with_env(env_company)._crisis_reverse_invoices(settings)
            company_moves = company_moves.with_env(self.env)
            if post if post is not None else company.crisis_credit_note_post:
                company_moves.with_company(company).action_post()
            else:
                compensations._message_log_batch(
                    bodies={
                        compensation.id: self.env._(
                            "Draft credit note made: %(move)s. The compensation is delivered "
                            "when it is posted.",
                            move=compensation.sudo().move_id._get_html_link(
                                title=self.env._("Draft Credit Note")
                            ),
                        )
                        for compensation in compensations
                    }
                )
            moves |= company_moves
        return moves

    def _crisis_credit_note_settings(self, company):
        """The journal, product and account of ``company``'s credit notes."""
        journal = company.crisis_credit_note_journal_id
        if not journal:
            journal = self.env["account.journal"].search(
                [
                    *self.env["account.journal"]._check_company_domain(company),
                    ("type", "=", "sale"),
                ],
                limit=1,
            )
        if not journal:
            raise UserError(
                self.env._(
                    "%(company)s has no sales journal for the credit notes: set up its "
                    "accounting (or choose the journal in the Crisis Settings).",
                    company=company.name,
                )
            )
        product = company.crisis_credit_note_product_id
        account = company.crisis_credit_note_account_id or journal.default_account_id
        return {"company": company, "journal": journal, "product": product, "account": account}

    def _crisis_fiscal_position(self, partner, company, cache):
        if partner not in cache:
            cache[partner] = (
                self.env["account.fiscal.position"]
                .with_company(company)
                ._get_fiscal_position(partner)
            )
        return cache[partner]

    def _crisis_credit_note_values(self, settings, fiscal_positions):
        """The values of the credit note of these compensations (of one
        customer and currency): a line each."""
        company = settings["company"]
        first = self[0]
        partner = first.partner_id
        fiscal_position = self._crisis_fiscal_position(partner, company, fiscal_positions)
        references = ", ".join(self.mapped("reference"))
        return {
            "move_type": "out_refund",
            "company_id": company.id,
            "journal_id": settings["journal"].id,
            "partner_id": partner.id,
            "currency_id": first.currency_id.id,
            "fiscal_position_id": fiscal_position.id,
            "invoice_origin": references,
            "ref": references,
            "narration": self._crisis_narration(partner),
            "invoice_line_ids": [
                Command.create(
                    compensation._crisis_credit_note_line_values(settings, fiscal_position)
                )
                for compensation in self
            ],
            "crisis_compensation_ids": [Command.set(self.ids)],
        }

    def _crisis_narration(self, partner):
        """The credit note's note to the customer, in their language: the
        crisis by its reference and its customer-facing title (never its
        internal name)."""
        env = self.with_context(lang=partner.lang or self.env.lang).env
        return Markup("<br/>").join(
            env._(
                "Compensation %(reference)s for the crisis %(crisis)s (%(title)s).",
                reference=compensation.reference,
                crisis=compensation.crisis_id.reference,
                title=compensation.crisis_id.with_env(env).public_title,
            )
            if compensation.crisis_id.public_title
            else env._(
                "Compensation %(reference)s for the crisis %(crisis)s.",
                reference=compensation.reference,
                crisis=compensation.crisis_id.reference,
            )
            for compensation in self
        )

    def _crisis_credit_note_line_values(self, settings, fiscal_position):
        """The line of this compensation: the product's income account and
        customer taxes (else the account's default taxes), mapped by the
        fiscal position, at the price that makes the compensation's amount,
        taxes included."""
        self.ensure_one()
        company = settings["company"]
        product = settings["product"]
        taxes = self.env["account.tax"]
        if product:
            account = product.product_tmpl_id.with_company(company).get_product_accounts(
                fiscal_pos=fiscal_position
            )["income"]
            taxes = product.taxes_id.filtered_domain(taxes._check_company_domain(company))
        else:
            account = fiscal_position.map_account(settings["account"])
        if not account:
            raise UserError(
                self.env._(
                    "%(company)s has no income account for the credit notes of compensations: "
                    "choose a product or an account in the Crisis Settings.",
                    company=company.name,
                )
            )
        if not taxes:
            taxes = account.tax_ids.filtered(lambda tax: tax.type_tax_use == "sale")
        taxes = fiscal_position.map_tax(taxes._filter_taxes_by_company(company))
        crisis = self.crisis_id
        lang_env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        return {
            "display_type": "product",
            "product_id": product.id,
            "name": lang_env._(
                "Compensation %(reference)s (%(type)s), crisis %(crisis)s",
                reference=self.reference,
                type=dict(self._fields["type"]._description_selection(lang_env))[self.type],
                crisis=crisis.reference,
            ),
            "account_id": account.id,
            "tax_ids": [Command.set(taxes.ids)],
            "quantity": 1.0,
            "price_unit": self._crisis_price_unit(taxes),
        }

    def _crisis_price_unit(self, taxes):
        """The unit price of a line whose total, taxes included, is the
        compensation's amount: what the customer is promised.

        With taxes excluded from the price and rounded per line, no price may
        give that total to the cent (15% of 8.69 or 8.70 makes 9.99 or 10.01):
        then the nearest one, in the customer's favour.
        """
        self.ensure_one()
        currency = self.currency_id
        if not taxes:
            return self.amount
        result = taxes.with_context(force_price_include=True).compute_all(
            self.amount, currency=currency, quantity=1.0, is_refund=True
        )
        included = sum(tax["amount"] for tax in result["taxes"] if tax["price_include"])
        base = currency.round(result["total_excluded"] + included)
        best = None
        for shift in (0, 1, -1, 2, -2):
            price = currency.round(base + shift * currency.rounding)
            computed = taxes.compute_all(price, currency=currency, quantity=1.0, is_refund=True)
            total = currency.round(computed["total_excluded"]) + sum(
                currency.round(tax["amount"]) for tax in computed["taxes"]
            )
            gap = currency.round(total - self.amount)
            if currency.is_zero(gap):
                return price
            # nearest first, then the customer's favour (above rather than below)
            key = (abs(gap), gap < 0)
            if best is None or key < best[0]:
                best = (key, price)
        return best[1]

    def _crisis_reverse_invoices(self, settings):
        """Odoo's reversal of the invoice each compensation names, for the
        compensation's amount only (a partial refund): the reversal wizard's
        values (``account.move.reversal._prepare_default_reversal``), one line
        for the compensation instead of the invoice's lines. Posted, it is
        reconciled with the invoice (``_reconcile_reversed_moves``).
        """
        company = settings["company"]
        invoices = self.sudo().invoice_id.with_env(self.env)
        invoices.check_access("read")
        # what each invoice may still be refunded: its total less its live credit notes
        left = {
            invoice: invoice.amount_total
            - sum(
                invoice.reversal_move_ids.filtered(lambda m: m.state != "cancel").mapped(
                    "amount_total"
                )
            )
            for invoice in invoices
        }
        Reversal = self.env["account.move.reversal"].with_company(company)
        reversals = []
        for compensation in self:
            invoice = compensation.invoice_id
            if invoice.state != "posted":
                raise UserError(
                    self.env._(
                        "%(reference)s: the invoice %(invoice)s is not posted: it cannot be "
                        "reversed.",
                        reference=compensation.reference,
                        invoice=invoice.display_name,
                    )
                )
            left[invoice] -= compensation.amount
            if invoice.currency_id.compare_amounts(left[invoice], 0) < 0:
                raise UserError(
                    self.env._(
                        "%(reference)s: %(amount)s is more than what is left to refund on the "
                        "invoice %(invoice)s: choose another invoice or none.",
                        reference=compensation.reference,
                        amount=format_amount(
                            self.env, compensation.amount, compensation.currency_id
                        ),
                        invoice=invoice.display_name,
                    )
                )
            wizard = Reversal.new(
                {
                    "company_id": company.id,
                    "journal_id": settings["journal"].id,
                    "date": fields.Date.context_today(self),
                    "reason": self.with_context(
                        lang=compensation.partner_id.lang or self.env.lang
                    ).env._(
                        "compensation %(reference)s, crisis %(crisis)s",
                        reference=compensation.reference,
                        crisis=compensation.crisis_id.reference,
                    ),
                }
            )
            values = wizard._prepare_default_reversal(invoice)
            fiscal_position = invoice.fiscal_position_id
            values.update(
                {
                    "invoice_origin": compensation.reference,
                    "narration": compensation._crisis_narration(compensation.partner_id),
                    "line_ids": [
                        Command.create(
                            compensation._crisis_credit_note_line_values(settings, fiscal_position)
                        )
                    ],
                    "crisis_compensation_ids": [Command.set(compensation.ids)],
                }
            )
            reversals.append((invoice, values))
        # one by one: the same invoice may be reversed by several compensations
        moves = self.env["account.move"]
        for invoice, values in reversals:
            moves |= as_workflow(invoice)._reverse_moves([values])
        return moves
