from odoo import api, fields, models

UPDATE_KINDS = [
    ("initial", "Initial Notice"),
    ("progress", "Progress Update"),
    ("resolution", "Resolution Notice"),
    ("satisfaction", "Satisfaction Survey"),
    ("other", "Other"),
]

AUDIENCES = [
    ("all", "All Affected Customers"),
    ("not_contacted", "Not Yet Contacted"),
    ("priority", "Priority Customers"),
    ("impact_level", "Impact Level"),
    ("contact_status", "Contact Status"),
    ("selection", "Selected Customers"),
]


class CrisisUpdate(models.Model):
    """One message sent to (part of) the affected customers of a crisis.

    The notify wizard, the stage emails and the satisfaction survey create one
    per send; the emails themselves are on each affected customer's line.
    """

    _name = "crisis.update"
    _description = "Crisis Customer Update"
    _inherit = ["crisis.workflow.mixin"]
    _order = "date_sent desc, id desc"
    _check_company_auto = True

    crisis_id = fields.Many2one(
        "crisis.crisis", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(
        related="crisis_id.company_id", store=True, index=True, precompute=True
    )
    kind = fields.Selection(UPDATE_KINDS, required=True, default="progress")
    name = fields.Char(string="Subject", required=True)
    body = fields.Html(help="The text sent, from the approved public statement.")
    audience = fields.Selection(AUDIENCES, required=True, default="all")
    audience_detail = fields.Char(help="The impact level or contact status targeted.")
    template_id = fields.Many2one("mail.template", string="Email Template", ondelete="set null")
    user_id = fields.Many2one(
        "res.users", string="Sent By", default=lambda self: self.env.user, index=True
    )
    date_sent = fields.Datetime(string="Sent On", default=fields.Datetime.now, required=True)
    sent_count = fields.Integer(string="Sent", help="Customers emailed.")
    no_email_count = fields.Integer(
        string="Without Email", help="Customers skipped: no valid email address."
    )
    blacklisted_count = fields.Integer(
        string="Blacklisted", help="Customers skipped: their address is on the email blacklist."
    )
    skipped_count = fields.Integer(
        string="Skipped", compute="_compute_skipped_count", store=True, aggregator="sum"
    )

    @api.depends("no_email_count", "blacklisted_count")
    def _compute_skipped_count(self):
        for update in self:
            update.skipped_count = update.no_email_count + update.blacklisted_count

    @api.depends("kind", "name")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for update in self:
            update.display_name = f"{kinds.get(update.kind, '')} ({update.name})"
