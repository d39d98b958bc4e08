from odoo import api, fields, models
from odoo.tools import SQL

RECIPIENT_STATES = [
    ("pending", "To Send"),
    ("sent", "Sent"),
    ("no_email", "No Email"),
    ("blacklisted", "Blacklisted"),
    ("unverified", "Not Verified"),
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
    def _crisis_audience(self, impacts):
        """The ids of ``impacts`` (a recordset, or a domain searched with the
        user's rights) as an SQL query of one ``id`` column."""
        if isinstance(impacts, models.BaseModel):
            return SQL("SELECT unnest(%s::int[]) AS id", impacts.ids)
        # the search's own query, not "id IN (subquery)": PostgreSQL may
        # plan that as a nested loop on lines just added (no statistics yet)
        query = self.env["crisis.impact"]._search(impacts)
        return query.select(SQL.identifier("crisis_impact", "id"))

    @api.model
    def _crisis_freeze(self, update, impacts):
        """Freeze the audience of ``update`` now, without a row per customer yet.

        The ids of the lines of ``impacts`` are kept on the update, in one
        array (one row written, whatever the audience size: the click returns
        at once); ``_crisis_expand`` makes their recipient rows later, in the
        sending job. Return the number of customers.
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crisis_update
                   SET crisis_audience_ids = ARRAY(
                       SELECT DISTINCT audience.id FROM (%(source)s) AS audience
                        ORDER BY audience.id)
                 WHERE id = %(update)s
             RETURNING cardinality(crisis_audience_ids)
                """,
                source=self._crisis_audience(impacts),
                update=update.id,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _crisis_expand(self, update):
        """The recipient rows of the audience frozen on ``update`` (``_crisis_freeze``).

        The caller holds the update's row (``FOR UPDATE``): one worker expands
        it, once; the array is cleared in the same transaction.
        """
        self.env.cr.execute(
            SQL("SELECT crisis_audience_ids FROM crisis_update WHERE id = %s", update.id)
        )
        row = self.env.cr.fetchone()
        if not row or row[0] is None:
            return 0
        count = self._crisis_insert(update, SQL("SELECT unnest(%s::int[]) AS id", row[0]))
        self.env.cr.execute(
            SQL("UPDATE crisis_update SET crisis_audience_ids = NULL WHERE id = %s", update.id)
        )
        return count

    @api.model
    def _crisis_insert(self, update, impacts):
        """The audience of ``update``: one pending row per line of ``impacts``.

        ``impacts`` is a recordset or a domain of ``crisis.impact`` (the
        audience, searched with the user's rights), or an SQL query of their
        ids; one INSERT ... SELECT either way. It writes the rows ``create``
        would write (a test compares them).
        """
        source = impacts if isinstance(impacts, SQL) else self._crisis_audience(impacts)
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
