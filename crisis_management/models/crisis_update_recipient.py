from odoo import api, fields, models
from odoo.tools import SQL

RECIPIENT_STATES = [
    ("pending", "To Send"),
    ("sent", "Sent"),
    ("no_email", "No Email"),
    ("blacklisted", "Blacklisted"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]


class CrisisUpdateRecipient(models.Model):
    """One affected customer of a customer update: the frozen audience of a send.

    Made at the click, in one query whatever the audience size (see
    ``_crisis_insert``); the sending job takes them from ``pending`` to what
    became of the email, a batch at a time.
    """

    _name = "crisis.update.recipient"
    _description = "Crisis Customer Update Recipient"
    _inherit = ["crisis.workflow.mixin"]
    _order = "update_id, id"
    _check_company_auto = True
    _crisis_workflow_fields = ("state",)

    update_id = fields.Many2one(
        # no index of its own: the unique (update_id, impact_id) index leads with it
        "crisis.update",
        string="Customer Update",
        required=True,
        ondelete="cascade",
    )
    impact_id = fields.Many2one(
        "crisis.impact",
        string="Affected Customer",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(related="update_id.company_id", store=True, precompute=True)
    partner_id = fields.Many2one(related="impact_id.partner_id", string="Customer")
    # no index: the sending job's queue has its own (pending rows, see init);
    # fewer indexes make freezing a large audience at the click faster
    state = fields.Selection(RECIPIENT_STATES, required=True, default="pending")

    _sql_constraints = [
        (
            "update_impact_uniq",
            "unique (update_id, impact_id)",
            "A customer is in the audience of an update once.",
        ),
    ]

    def init(self):
        # the sending job's queue: the pending recipients, in order
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS crisis_update_recipient_pending_idx"
                " ON crisis_update_recipient (update_id, id) WHERE state = 'pending'"
            )
        )

    @api.model
    def _crisis_insert(self, update, impacts):
        """The audience of ``update``: one pending row per line of ``impacts``.

        ``impacts`` is a recordset or a domain of ``crisis.impact`` (the
        audience, searched with the user's rights); one INSERT ... SELECT
        either way, so that queueing 100,000 customers returns at once. It
        writes the rows ``create`` would write (a test compares them).
        """
        if isinstance(impacts, models.BaseModel):
            source = SQL("SELECT unnest(%s::int[]) AS id", impacts.ids)
        else:
            # the search's own query, not "id IN (subquery)": PostgreSQL may
            # plan that as a nested loop on lines just added (no statistics yet)
            query = self.env["crisis.impact"]._search(impacts)
            source = query.select(SQL.identifier("crisis_impact", "id"))
        self.env.flush_all()
        now = self.env.cr.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crisis_update_recipient (
                    update_id, impact_id, company_id, state,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT %(update)s, audience.id, %(company)s, 'pending',
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (%(source)s) AS audience
              ORDER BY audience.id
                    ON CONFLICT (update_id, impact_id) DO NOTHING
                """,
                update=update.id,
                company=update.company_id.id,
                uid=self.env.uid,
                now=now,
                source=source,
            )
        )
        count = self.env.cr.rowcount
        update.invalidate_recordset(["recipient_ids"])
        return count
