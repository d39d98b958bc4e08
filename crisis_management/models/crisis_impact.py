from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.rating.models import rating_data

from . import customer_mail, reminders
from .crisis_type import SEVERITIES
from .crisis_workflow_mixin import as_workflow

CONTACT_STATUSES = [
    ("to_contact", "To Contact"),
    ("notified", "Notified"),
    ("in_discussion", "In Discussion"),
    ("resolved", "Resolved"),
    ("lost", "Lost"),
]


class CrisisImpact(models.Model):
    _name = "crisis.impact"
    _description = "Affected Customer"
    _inherit = ["rating.mixin", "mail.thread", "mail.activity.mixin", "crisis.workflow.mixin"]
    _order = "is_priority desc, impact_level_rank desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True
    _crisis_workflow_fields = ("last_update_id", "date_rating_requested", "reminded_followup")

    crisis_id = fields.Many2one(
        "crisis.crisis",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        related="crisis_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
        tracking=True,
    )
    partner_email = fields.Char(related="partner_id.email", string="Email")
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    impact_level = fields.Selection(
        SEVERITIES, string="Impact", required=True, default="medium", tracking=True
    )
    impact_level_rank = fields.Integer(
        compute="_compute_impact_level_rank", store=True, precompute=True
    )
    is_priority = fields.Boolean(string="Priority", tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Agent",
        index=True,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    contact_status = fields.Selection(
        CONTACT_STATUSES, required=True, default="to_contact", index=True, tracking=True
    )
    date_last_contact = fields.Datetime(string="Last Contact", tracking=True)
    date_next_followup = fields.Date(string="Next Follow-up", tracking=True)
    reminded_followup = fields.Date(
        copy=False, help="The follow-up date the agent was last reminded of (scheduled reminders)."
    )
    feedback = fields.Text(help="What the customer told us.")
    churn_risk = fields.Boolean(
        tracking=True, help="The customer may leave us: follow up with special care."
    )
    compensation_ids = fields.One2many("crisis.compensation", "impact_id", string="Compensations")
    compensation_total = fields.Monetary(
        compute="_compute_compensation_total",
        currency_field="company_currency_id",
        string="Compensated",
        help="Approved and delivered compensations, in company currency.",
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    crisis_stage_id = fields.Many2one(related="crisis_id.stage_id", string="Crisis Stage")
    is_drill = fields.Boolean(related="crisis_id.is_drill")
    color = fields.Integer()
    last_update_id = fields.Many2one(
        "crisis.update",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The last crisis update emailed to this customer.",
    )
    date_rating_requested = fields.Datetime(
        string="Rating Requested On",
        readonly=True,
        copy=False,
        help="When the customer was asked to rate how the crisis was handled.",
    )
    update_body = fields.Html(
        compute="_compute_update_body",
        sanitize=False,
        help="For email templates: the text of the update being sent, the approved public "
        "statement by default.",
    )

    _sql_constraints = [
        (
            "crisis_partner_uniq",
            "unique (crisis_id, partner_id)",
            "This customer is already linked to this crisis.",
        ),
    ]

    @api.depends("impact_level")
    def _compute_impact_level_rank(self):
        ranks = {level: rank for rank, (level, _label) in enumerate(SEVERITIES)}
        for impact in self:
            impact.impact_level_rank = ranks.get(impact.impact_level, 0)

    @api.depends("crisis_id.public_statement")
    @api.depends_context("crisis_update_body")
    def _compute_update_body(self):
        body = self.env.context.get("crisis_update_body")
        for impact in self:
            impact.update_body = body or impact.crisis_id.public_statement

    @api.depends("compensation_ids.amount_company", "compensation_ids.state")
    def _compute_compensation_total(self):
        totals = self.env["crisis.compensation"]._crisis_totals("impact_id", self.ids)
        for impact in self:
            impact.compensation_total = totals.get(impact.id, 0.0)

    def write(self, vals):
        moved = self.browse()
        if vals.get("crisis_id") and not self._crisis_is_workflow():
            target = self.env["crisis.crisis"].browse(vals["crisis_id"])
            target.check_access("write")
            moved = self._crisis_check_same_company("crisis_id", target)
            # and to remove the customer from the crisis they leave
            moved.check_access("unlink")
        result = super().write(vals)
        if moved:
            # moving a line removes a customer from a crisis and adds them to
            # another: the user must be allowed to add customers there
            moved.check_access("create")
        return result

    @api.model
    def _cron_remind_followups(self):
        """Lines whose next follow-up date is reached: one activity for their agent, once."""
        due = SQL(
            "date_next_followup <= %s AND user_id IS NOT NULL"
            " AND reminded_followup IS DISTINCT FROM date_next_followup",
            fields.Date.context_today(self),
        )
        reminders.remind_once(
            self,
            due,
            "date_next_followup",
            "reminded_followup",
            summary_of=lambda impact: self.env._("Call back %s", impact.partner_id.display_name),
            date_of=lambda impact: impact.date_next_followup,
            note_of=lambda impact: impact.crisis_id.display_name,
        )

    def _rating_get_parent_field_name(self):
        return "crisis_id"

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        """A low rating marks the customer as a churn risk and asks the agent to call."""
        rating = super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )
        impact = self.browse(rating.res_id).exists()
        if impact and rating.rating < rating_data.RATING_LIMIT_OK and not impact.churn_risk:
            lead = impact.sudo().crisis_id.user_id
            agent = impact.sudo().user_id or lead
            # customers rate through Odoo's public links: the flag and the call-back
            # are the crisis lead's doing, not the public user's, so that the
            # assignment email has a sender; OdooBot's when the call is the lead's
            # own (nobody is told of the activities they give themselves) or
            # there is no lead
            author = lead if lead and lead != agent else SUPERUSER_ID
            impact = impact.with_user(author).sudo()
            impact.churn_risk = True
            if agent:
                impact.activity_schedule(
                    "mail.mail_activity_data_todo",
                    date_deadline=fields.Date.context_today(impact),
                    summary=self.env._(
                        "Unhappy customer: call %s", impact.partner_id.display_name
                    ),
                    note=self.env._(
                        "%(customer)s rated the handling of %(crisis)s as dissatisfied.",
                        customer=impact.partner_id.display_name,
                        crisis=impact.crisis_id.display_name,
                    ),
                    user_id=agent.id,
                )
        return rating

    @api.constrains("date_last_contact")
    def _check_date_last_contact(self):
        now = fields.Datetime.now()
        for impact in self:
            if impact.date_last_contact and impact.date_last_contact > now:
                raise ValidationError(
                    self.env._(
                        "The last contact with %(customer)s cannot be in the future.",
                        customer=impact.partner_id.display_name,
                    )
                )

    @api.depends("crisis_id.reference", "partner_id.display_name")
    def _compute_display_name(self):
        for impact in self:
            impact.display_name = (
                f"{impact.crisis_id.reference} - {impact.partner_id.display_name}"
            )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _link_partners(
        self, crisis, partner_ids, impact_level="medium", is_priority=False, user=None
    ):
        """Link many customers to ``crisis`` at once; return the new lines.

        Customers already linked are skipped. One INSERT ... SELECT whatever the
        number of customers (the ORM would insert 100 rows per query), so
        10,000 customers cost what 10 cost. The caller checks the customers'
        companies; access rights and record rules are checked here, on the new
        lines, as ``create`` would.
        """
        self.check_access("create")
        if not partner_ids:
            return self.browse()
        ranks = {level: rank for rank, (level, _label) in enumerate(SEVERITIES)}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crisis_impact (
                    crisis_id, partner_id, company_id, impact_level, impact_level_rank,
                    is_priority, user_id, contact_status,
                    create_uid, create_date, write_uid, write_date
                )
                SELECT %(crisis)s, partner.id, %(company)s, %(level)s, %(rank)s,
                       %(priority)s, %(agent)s, 'to_contact',
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(partners)s::int[]) AS partner(id)
                ON CONFLICT (crisis_id, partner_id) DO NOTHING
                RETURNING id
                """,
                crisis=crisis.id,
                company=crisis.company_id.id,
                level=impact_level,
                rank=ranks[impact_level],
                priority=bool(is_priority),
                agent=user.id if user else None,
                uid=self.env.uid,
                now=self.env.cr.now(),
                partners=list(partner_ids),
            )
        )
        impacts = self.browse(row[0] for row in self.env.cr.fetchall())
        # what create() does after its INSERT: caches, recomputations, rules
        crisis.invalidate_recordset(["impact_ids"])
        impacts.partner_id.invalidate_recordset(["crisis_impact_ids"])
        impacts.modified(["crisis_id", "partner_id", "contact_status", "is_priority"], create=True)
        impacts.check_access("create")
        return impacts

    def _crisis_request_rating(self, template):
        """Email the satisfaction request: one rating token per customer, made in batch."""
        # read in batch what creating the ratings reads one by one (their parent,
        # operator and document name)
        self.crisis_id.mapped("user_id")
        self.sudo().mapped("display_name")
        Rating = self.env["rating.rating"].sudo()
        open_ratings = Rating.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("consumed", "=", False),
            ]
        )
        has_token = set(open_ratings.mapped("res_id"))
        # tokens only for the customers the email reaches: none for those
        # without email or blacklisted, who are never asked
        emailed = self.browse(customer_mail.classify_recipients(self).impact_ids)
        model_id = self.env["ir.model"]._get_id(self._name)
        Rating.create(
            [
                {
                    "partner_id": impact.partner_id.id,
                    "rated_partner_id": impact._rating_get_operator().id,
                    "res_model_id": model_id,
                    "res_model": self._name,
                    "res_id": impact.id,
                    "is_internal": False,
                }
                for impact in emailed
                if impact.id not in has_token
            ]
        )
        self.invalidate_recordset(["rating_ids"])
        # and what the template reads to find each customer's token
        self.sudo().rating_ids.mapped("partner_id")
        updates = self._crisis_send(template, kind="satisfaction")
        # the customers actually emailed (not those without email or blacklisted)
        as_workflow(
            self.filtered(lambda impact: impact.last_update_id in updates)
        ).date_rating_requested = fields.Datetime.now()

    def _crisis_send(self, template, kind="progress", body=None, audience="all", detail=False):
        """Email ``template`` to the customers of these lines, one voice per crisis.

        One personalised email per customer, rendered in the customer's language
        and queued in Odoo's mail queue; customers without a valid email or on
        the blacklist are skipped and counted. Each email is a message on the
        customer's line; the lines get their last contact date and leave "to
        contact". One crisis.update per crisis records the send. The number of
        SQL queries does not depend on the number of customers.

        :param body: the text of the update (``update_body`` in templates);
            the approved public statement when empty
        :return: the crisis.update records created
        """
        if not self:
            return self.env["crisis.update"]
        if template.model != self._name:
            raise UserError(
                self.env._("Template %s is not an email to affected customers.", template.name)
            )
        crises = self.crisis_id
        crises._check_can_speak_to_customers()
        crises.check_access("write")
        now = fields.Datetime.now()
        recipients = customer_mail.classify_recipients(self)
        # the subject of each update: the template's, rendered for one of its customers
        first_line = {}
        for impact in self:
            first_line.setdefault(impact.crisis_id.id, impact.id)
        subjects = template._render_field("subject", list(first_line.values()))
        updates = (
            self.env["crisis.update"]
            .sudo()
            .create(
                [
                    {
                        "crisis_id": crisis.id,
                        "kind": kind,
                        "name": subjects.get(first_line[crisis.id]) or template.name,
                        "body": body or crisis.public_statement,
                        "audience": audience,
                        "audience_detail": detail,
                        "template_id": template.id,
                        "user_id": self.env.uid,
                        "date_sent": now,
                        "sent_count": len(recipients.sent_by_crisis.get(crisis.id, ())),
                        "no_email_count": recipients.no_email_by_crisis.get(crisis.id, 0),
                        "blacklisted_count": recipients.blacklisted_by_crisis.get(crisis.id, 0),
                    }
                    for crisis in crises
                ]
            )
        )
        sent = self.browse(recipients.impact_ids)
        if sent:
            customer_mail.queue_template(
                sent, template.with_context(crisis_update_body=body or False)
            )
            sent._mark_contacted(updates, now)
        crises.sudo().date_last_update = now
        return updates

    def _mark_contacted(self, updates, when):
        """The lines were emailed ``updates``: last contact, last update, "notified".

        One UPDATE whatever the number of lines (the ORM would write 100 rows
        per query); tracking is left out, the email on the line says it all.
        """
        self.check_access("write")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crisis_impact impact
                   SET date_last_contact = %(when)s,
                       last_update_id = sent.update_id,
                       contact_status = CASE WHEN impact.contact_status = 'to_contact'
                                             THEN 'notified' ELSE impact.contact_status END,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM unnest(%(crises)s::int[], %(updates)s::int[]) AS sent(crisis_id, update_id)
                 WHERE impact.crisis_id = sent.crisis_id AND impact.id = ANY(%(ids)s)
                """,
                when=when,
                uid=self.env.uid,
                now=self.env.cr.now(),
                crises=[update.crisis_id.id for update in updates],
                updates=updates.ids,
                ids=self.ids,
            )
        )
        fields_written = ["date_last_contact", "last_update_id", "contact_status"]
        self.invalidate_recordset([*fields_written, "write_uid", "write_date"])
        self.modified(fields_written)
