from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

COMPENSATION_TYPES = [
    ("refund", "Refund"),
    ("credit", "Credit"),
    ("voucher", "Voucher"),
    ("free_service", "Free Service"),
    ("replacement", "Replacement"),
    ("extended_warranty", "Extended Warranty"),
    ("gift", "Gift"),
    ("other", "Other"),
]
COMPENSATION_STATES = [
    ("draft", "Draft"),
    ("to_approve", "To Approve"),
    ("approved", "Approved"),
    ("delivered", "Delivered"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]
# states whose amount counts in the totals, and whose amount is locked
COMMITTED_STATES = ("approved", "delivered")


class CrisisCompensation(models.Model):
    _name = "crisis.compensation"
    _description = "Crisis Compensation"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_name = "reference"
    _check_company_auto = True

    reference = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        index="trigram",
        default=lambda self: self.env._("New"),
    )
    impact_id = fields.Many2one(
        "crisis.impact",
        string="Affected Customer",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    # not precomputed: that would leave new records in the inverse one2many caches
    crisis_id = fields.Many2one(related="impact_id.crisis_id", store=True, index=True)
    partner_id = fields.Many2one(related="impact_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="impact_id.company_id", store=True, index=True)
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    is_drill = fields.Boolean(related="crisis_id.is_drill")
    type = fields.Selection(COMPENSATION_TYPES, required=True, default="voucher", tracking=True)
    amount = fields.Monetary(currency_field="currency_id", tracking=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        tracking=True,
    )
    amount_company = fields.Monetary(
        string="Amount in Company Currency",
        currency_field="company_currency_id",
        compute="_compute_amount_company",
        store=True,
        help="Converted at the rate of the request date.",
    )
    description = fields.Text()
    state = fields.Selection(
        COMPENSATION_STATES, required=True, default="draft", tracking=True, index=True, copy=False
    )
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        required=True,
        tracking=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    approved_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    date_requested = fields.Date(
        string="Request Date", required=True, default=fields.Date.context_today, copy=False
    )
    date_approved = fields.Datetime(string="Approved On", readonly=True, copy=False)
    date_delivered = fields.Datetime(string="Delivered On", readonly=True, copy=False)

    @api.depends("amount", "currency_id", "date_requested", "company_id")
    def _compute_amount_company(self):
        for compensation in self:
            company = compensation.company_id or self.env.company
            compensation.amount_company = compensation.currency_id._convert(
                compensation.amount,
                company.currency_id,
                company,
                compensation.date_requested or fields.Date.context_today(self),
            )

    @api.constrains("amount")
    def _check_amount(self):
        if any(compensation.amount < 0 for compensation in self):
            raise ValidationError(self.env._("A compensation amount cannot be negative."))

    @api.model_create_multi
    def create(self, vals_list):
        missing = [vals for vals in vals_list if not vals.get("reference")]
        impacts = self.env["crisis.impact"].browse(
            {vals["impact_id"] for vals in missing if vals.get("impact_id")}
        )
        by_company = {}
        for vals in missing:
            impact = impacts.browse(vals.get("impact_id"))
            by_company.setdefault(impact.company_id or self.env.company, []).append(vals)
        for company, company_vals in by_company.items():
            references = company._crisis_next_references("crisis.compensation", len(company_vals))
            for vals, reference in zip(company_vals, references, strict=True):
                vals["reference"] = reference
        return super().create(vals_list)

    def write(self, vals):
        if {"amount", "currency_id"} & set(vals) and any(
            c.state in COMMITTED_STATES for c in self
        ):
            raise UserError(
                self.env._("An approved compensation's amount can no longer be changed.")
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Workflow
    # ------------------------------------------------------------------

    def _check_state(self, allowed, message):
        wrong = self.filtered(lambda c: c.state not in allowed)
        if wrong:
            raise UserError(message % {"reference": wrong[0].reference})

    def _check_approval_rights(self):
        """Nobody approves their own request; users only under the company limit."""
        is_manager = self.env.user.has_group("crisis_management.group_crisis_manager")
        for compensation in self:
            if compensation.user_id == self.env.user:
                raise UserError(
                    self.env._(
                        "%(reference)s: nobody approves or rejects their own request.",
                        reference=compensation.reference,
                    )
                )
            if is_manager:
                continue
            limit = compensation.company_id.crisis_compensation_user_limit
            if limit <= 0 or compensation.amount_company > limit:
                raise UserError(
                    self.env._(
                        "%(reference)s: only a Crisis Manager can approve or reject it "
                        "(your limit: %(limit)s %(currency)s).",
                        reference=compensation.reference,
                        limit=limit,
                        currency=compensation.company_currency_id.name,
                    )
                )

    def action_submit(self):
        self._check_state(("draft",), self.env._("%(reference)s is not a draft."))
        self.write({"state": "to_approve"})

    def action_approve(self):
        self._check_state(
            ("to_approve",), self.env._("%(reference)s is not waiting for approval.")
        )
        self._check_approval_rights()
        # the approval rights were checked above: an approver need not be on the crisis
        self.sudo().write(
            {
                "state": "approved",
                "approved_by_id": self.env.uid,
                "date_approved": fields.Datetime.now(),
            }
        )

    def action_reject(self):
        self._check_state(
            ("to_approve",), self.env._("%(reference)s is not waiting for approval.")
        )
        self._check_approval_rights()
        self.sudo().write({"state": "rejected"})

    def action_deliver(self):
        delivered = self.filtered(lambda c: c.state == "delivered")
        if delivered:
            raise UserError(
                self.env._("%(reference)s is already delivered.", reference=delivered[0].reference)
            )
        self._check_state(("approved",), self.env._("%(reference)s is not approved."))
        self.write({"state": "delivered", "date_delivered": fields.Datetime.now()})

    def action_cancel(self):
        self._check_state(
            ("draft", "to_approve", "approved"),
            self.env._("%(reference)s is delivered or closed: it cannot be cancelled."),
        )
        self.write({"state": "cancelled"})

    def action_draft(self):
        self._check_state(
            ("rejected", "cancelled"), self.env._("%(reference)s cannot go back to draft.")
        )
        self.write({"state": "draft", "approved_by_id": False, "date_approved": False})

    def action_send_offer(self):
        """Open the composer with the compensation offer.

        Never for drills, nor before the crisis statement is approved.
        """
        self.ensure_one()
        self.crisis_id._check_can_speak_to_customers()
        self._check_state(("approved", "delivered"), self.env._("%(reference)s is not approved."))
        template = self.env.ref("crisis_management.mail_template_compensation_offer")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_model": self._name,
                "default_res_ids": self.ids,
                "default_template_id": template.id,
                "default_composition_mode": "comment",
                "force_email": True,
            },
        }

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _crisis_totals(self, field_name, ids):
        """{id: committed amount in company currency} grouped by ``field_name``."""
        groups = self._read_group(
            [(field_name, "in", ids), ("state", "in", COMMITTED_STATES)],
            [field_name],
            ["amount_company:sum"],
        )
        return {record.id: total for record, total in groups}

    def _propose_to(self, impacts, values, submit=False):
        """The same compensation for many affected customers: new lines, drafts
        or (``submit``) waiting for approval.

        One INSERT ... SELECT and one sequence query whatever the number of
        lines (the ORM would insert 100 rows per query and draw each reference
        on its own); record rules are checked on the new lines, as ``create``
        would.
        """
        self.check_access("create")
        if not impacts:
            return self.browse()
        if values.get("amount", 0) < 0:
            raise ValidationError(self.env._("A compensation amount cannot be negative."))
        self.env.flush_all()
        companies = impacts.company_id
        if len(companies) > 1:
            raise UserError(self.env._("Propose compensations for one company at a time."))
        currency = self.env["res.currency"].browse(values["currency_id"])
        today = fields.Date.context_today(self)
        amount_company = currency._convert(
            values["amount"], companies.currency_id, companies, today
        )
        references = companies._crisis_next_references("crisis.compensation", len(impacts))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crisis_compensation (
                    reference, impact_id, crisis_id, partner_id, company_id, type, amount,
                    currency_id, amount_company, description, state, user_id, date_requested,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT ref.reference, impact.id, impact.crisis_id, impact.partner_id,
                       impact.company_id, %(type)s, %(amount)s, %(currency)s,
                       %(amount_company)s, %(description)s, %(state)s, %(uid)s, %(today)s,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(impacts)s::int[], %(references)s::varchar[])
                       AS ref(impact_id, reference)
                  JOIN crisis_impact impact ON impact.id = ref.impact_id
                RETURNING id
                """,
                type=values["type"],
                amount=values["amount"],
                currency=currency.id,
                amount_company=amount_company,
                description=values.get("description") or None,
                state="to_approve" if submit else "draft",
                uid=self.env.uid,
                today=today,
                now=self.env.cr.now(),
                impacts=impacts.ids,
                references=references,
            )
        )
        compensations = self.browse(row[0] for row in self.env.cr.fetchall())
        impacts.invalidate_recordset(["compensation_ids"])
        compensations.modified(["impact_id", "state", "amount_company"], create=True)
        compensations.check_access("create")
        return compensations
