from collections import Counter, defaultdict, namedtuple

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL, clean_context, split_every

from odoo.addons.rating.models import rating_data

from .crisis_type import SEVERITIES

# the notification layout of emails to customers (as Odoo's sales documents)
CUSTOMER_EMAIL_LAYOUT = "mail.mail_notification_light"
# the subtype of emails to customers: followers of a line are not notified of
# them (they are of the customer's replies, which are comments)
CUSTOMER_EMAIL_SUBTYPE = "crisis_management.mt_impact_customer_email"

Recipients = namedtuple("Recipients", ["impact_ids", "state_by_impact"])

# lines made per create() call when many customers are added at once
LINK_BATCH_SIZE = 1000

CONTACT_STATUSES = [
    ("to_contact", "To Contact"),
    # the last notice failed or bounced on every channel tried (see
    # crisis_impact_reach.py): a task for another channel
    ("unreachable", "Unreachable"),
    ("notified", "Notified"),
    ("in_discussion", "In Discussion"),
    ("resolved", "Resolved"),
    ("lost", "Lost"),
]
# the reminders on a customer's line: the scheduled follow-up call, and the
# call back of a customer who rated us badly
FOLLOWUP = "crisis_management.mail_act_crisis_followup"
UNHAPPY_CUSTOMER = "crisis_management.mail_act_crisis_unhappy_customer"


class CrisisImpact(models.Model):
    _name = "crisis.impact"
    _description = "Affected Customer"
    _inherit = [
        "rating.mixin",
        "mail.thread",
        "mail.activity.mixin",
        "crisis.workflow.mixin",
        "crisis.mail.batch",
        "crisis.reminder.mixin",
        "portal.mixin",
    ]
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
        CONTACT_STATUSES,
        required=True,
        default="to_contact",
        index=True,
        tracking=True,
        group_expand="_group_expand_contact_status",
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
        "statement (in the language of the email) by default.",
    )

    _sql_constraints = [
        (
            "crisis_partner_uniq",
            "unique (crisis_id, partner_id)",
            "This customer is already linked to this crisis.",
        ),
    ]

    @api.model
    def _group_expand_contact_status(self, statuses, domain):
        """Every contact status, in work order: the kanban's columns, even empty."""
        return [status for status, _label in CONTACT_STATUSES]

    @api.depends("impact_level")
    def _compute_impact_level_rank(self):
        ranks = {level: rank for rank, (level, _label) in enumerate(SEVERITIES)}
        for impact in self:
            impact.impact_level_rank = ranks.get(impact.impact_level, 0)

    @api.depends("crisis_id.public_statement")
    @api.depends_context("lang", "crisis_update_body", "crisis_update_no_statement")
    def _compute_update_body(self):
        # an update that is the statement leaves crisis_update_body empty: each
        # customer reads the statement in the language of their email; a
        # notice that never carries it (the resolution) has only its own text
        body = self.env.context.get("crisis_update_body")
        no_statement = self.env.context.get("crisis_update_no_statement")
        for impact in self:
            impact.update_body = body or (not no_statement and impact.crisis_id.public_statement)

    @api.depends("compensation_ids.amount_company", "compensation_ids.state")
    def _compute_compensation_total(self):
        totals = self.env["crisis.compensation"]._crisis_totals("impact_id", self.ids)
        for impact in self:
            impact.compensation_total = totals.get(impact.id, 0.0)

    @api.model_create_multi
    def create(self, vals_list):
        context = self.env.context
        self._crisis_check_not_staff(
            vals.get("partner_id", context.get("default_partner_id")) for vals in vals_list
        )
        self._crisis_check_not_linked(vals_list)
        impacts = super().create(vals_list)
        impacts._crisis_subscribe_owners()
        return impacts

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None):
        # the lines of one crisis only: the filter widget of the bulk
        # compensation wizard counts and shows the lines of its crisis
        crisis_id = self.env.context.get("crisis_impact_scope")
        if isinstance(crisis_id, int) and crisis_id:
            domain = expression.AND([domain or [], [("crisis_id", "=", crisis_id)]])
        return super()._search(domain, offset=offset, limit=limit, order=order)

    def write(self, vals):
        if vals.get("partner_id"):
            self._crisis_check_partner_change(vals["partner_id"])
        if {"crisis_id", "partner_id"} & vals.keys():
            # a line moved to a crisis, or given a customer, that has it already
            new_pairs = [
                {
                    "crisis_id": vals.get("crisis_id", impact.crisis_id.id),
                    "partner_id": vals.get("partner_id", impact.partner_id.id),
                }
                for impact in self
            ]
            self._crisis_check_not_linked(
                [
                    pair
                    for pair, impact in zip(new_pairs, self, strict=True)
                    if (pair["crisis_id"], pair["partner_id"])
                    != (impact.crisis_id.id, impact.partner_id.id)
                ]
            )
        moved = self._crisis_moving("crisis_id", vals)
        # and to remove the customer from the crisis they leave
        moved.check_access("unlink")
        followups = {}
        if "date_next_followup" in vals:
            followups = {impact.id: impact.date_next_followup for impact in self}
        result = super().write(vals)
        if moved:
            # moving a line removes a customer from a crisis and adds them to
            # another: the user must be allowed to add customers there
            moved.check_access("create")
        self._crisis_close_reminders(vals, followups)
        # a new agent, or a new crisis and so a new lead: they follow the lines
        if "user_id" in vals or "crisis_id" in vals:
            self._crisis_subscribe_owners()
        return result

    @api.model
    def _cron_remind_followups(self):
        """Lines whose next follow-up date is reached: one activity for their agent, once."""
        due = SQL(
            "date_next_followup <= %s AND user_id IS NOT NULL"
            " AND reminded_followup IS DISTINCT FROM date_next_followup",
            fields.Date.context_today(self),
        )
        self._crisis_remind_once(
            due,
            "date_next_followup",
            "reminded_followup",
            summary_of=lambda impact: impact.env._("Call back %s", impact.partner_id.display_name),
            date_of=lambda impact: impact.date_next_followup,
            note_of=lambda impact: impact.crisis_id.display_name,
            activity_type_xmlid=FOLLOWUP,
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
                    UNHAPPY_CUSTOMER,
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

    def _crisis_close_reminders(self, vals, followups):
        """Close the reminders of the lines whose reason ended with ``vals``.

        The follow-up call ends when its date moves or is cleared (the
        scheduled job reminds of the new date) and when the customer is
        resolved or lost; the call back of an unhappy customer when the churn
        risk is cleared or the customer is resolved.

        :param followups: {line id: next follow-up date before the write}
        """
        if not self:
            return
        status = vals.get("contact_status")
        if status == "resolved":
            self.activity_feedback([FOLLOWUP, UNHAPPY_CUSTOMER])
        elif status == "lost":
            self.activity_unlink([FOLLOWUP])
        if "churn_risk" in vals and not vals["churn_risk"]:
            self.activity_feedback([UNHAPPY_CUSTOMER])
        rescheduled = self.filtered(
            lambda impact: (
                impact.id in followups and impact.date_next_followup != followups[impact.id]
            )
        )
        if rescheduled:
            rescheduled.activity_unlink([FOLLOWUP])

    @api.model
    def _link_partners(
        self, crisis, partner_ids, impact_level="medium", is_priority=False, user=None
    ):
        """Link many customers to ``crisis`` at once; return the new lines.

        Customers already linked are skipped (one query finds them). The lines
        are made by ``create()``, ``LINK_BATCH_SIZE`` per call, so that what
        Odoo does on creation happens to each: automated actions, audit logs,
        access rights and record rules, company checks, computed fields and
        caches. ``create`` also makes the agent and the crisis lead follow them.

        :raise UserError: when the agent or one of the customers belongs to
            another company than the crisis
        """
        user = user or self.env["res.users"]
        partner_ids = list(dict.fromkeys(partner_ids))
        self._crisis_check_link_companies(crisis, partner_ids, user)
        linked = self.sudo().search_fetch(
            [("crisis_id", "=", crisis.id), ("partner_id", "in", partner_ids)], ["partner_id"]
        )
        linked_ids = set(linked.partner_id.ids)
        new_ids = [partner_id for partner_id in partner_ids if partner_id not in linked_ids]
        if not new_ids:
            self.check_access("create")
            return self.browse()
        # tracking_disable, the flag Odoo's imports set for large files: no
        # "created" message on each line (the caller logs one on the crisis),
        # and none of mail.thread's per-line auto-subscription of the agent,
        # which costs queries per line and would email the agent "you have
        # been assigned" once per customer; create() subscribes the agent and
        # the lead to all the lines in batch instead. clean_context: the
        # caller's default_* keys (a wizard's) are not values for the lines.
        Impact = self.with_context(clean_context(self.env.context), tracking_disable=True)
        values = {
            "crisis_id": crisis.id,
            "impact_level": impact_level,
            "is_priority": bool(is_priority),
            "user_id": user.id,
        }
        impact_ids = []
        for batch in split_every(LINK_BATCH_SIZE, new_ids):
            impact_ids += Impact.create(
                [dict(values, partner_id=partner_id) for partner_id in batch]
            ).ids
        return self.browse(impact_ids)

    @api.model
    def _crisis_link_details(self, crisis, partner_ids, details):
        """Record on the lines of ``crisis`` of ``partner_ids`` what the
        selection that added them tells about each (``details``, from
        ``crisis.impact.wizard._crisis_selection_details``). The bridges that
        add selections (stock, sale) record what is theirs."""
        return False

    @api.model
    def _crisis_check_link_companies(self, crisis, partner_ids, user, domain=None):
        """The agent and the customers of new lines of ``crisis`` belong to its company.

        What ``create`` checks too, with a message that names them. The
        customers are ``partner_ids``, or the contacts matching ``domain``.
        """
        company = crisis.company_id
        if user and company not in user.sudo().company_ids:
            raise UserError(
                self.env._(
                    "%(agent)s cannot be the agent of these customers: they do not work for "
                    "%(company)s, the company of %(crisis)s. Choose an agent of that company.",
                    agent=user.sudo().name,
                    company=company.name,
                    crisis=crisis.display_name,
                )
            )
        # sudo: customers of a company the user cannot see are refused too
        foreign = (
            self.env["res.partner"]
            .sudo()
            .search_fetch(
                [
                    *(domain if domain is not None else [("id", "in", partner_ids)]),
                    ("company_id", "not in", [company.id, False]),
                ],
                ["display_name"],
                limit=5,
            )
        )
        if foreign:
            raise UserError(
                self.env._(
                    "Some of these contacts belong to another company than the crisis "
                    "(%(company)s), for example: %(names)s. Narrow the selection.",
                    company=company.name,
                    names=", ".join(foreign.mapped("display_name")),
                )
            )

    def _crisis_check_partner_change(self, partner_id):
        """A line is one customer's history (emails, ratings, compensations): its
        customer changes only through the workflow, never to our staff.

        :raise UserError: when a line of ``self`` would get another customer
        """
        changed = self.filtered(lambda impact: impact.partner_id.id != partner_id)
        if not changed:
            return
        if not self._crisis_is_workflow():
            raise UserError(
                self.env._(
                    "The customer of an affected customer line cannot be changed: the "
                    "emails, ratings and compensations of %(line)s are theirs. Add the other "
                    "customer to the crisis instead.",
                    line=changed[0].display_name,
                )
            )
        self._crisis_check_not_staff([partner_id])

    @api.model
    def _crisis_staff_partners(self, partner_ids=None):
        """The contacts that are never affected customers: the partners of the
        internal users (active or not) and of the companies.

        :param partner_ids: only those among these contacts (all of them when None)
        :return: ``res.partner`` records, as superuser
        """
        restrict = [("partner_id", "in", list(partner_ids))] if partner_ids is not None else []
        users = (
            self.env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch([("share", "=", False), *restrict], ["partner_id"])
        )
        companies = (
            self.env["res.company"]
            .sudo()
            .with_context(active_test=False)
            .search_fetch(restrict, ["partner_id"])
        )
        return users.partner_id | companies.partner_id

    @api.model
    def _crisis_check_not_staff(self, partner_ids):
        """Refuse new lines of our own staff or companies: they are not customers.

        :raise UserError: naming them
        """
        partner_ids = {partner_id for partner_id in partner_ids if partner_id}
        if not partner_ids:
            return
        staff = self._crisis_staff_partners(partner_ids)
        if staff:
            raise UserError(
                self.env._(
                    "%(names)s: your own staff and companies are never affected customers of "
                    "a crisis.",
                    names=", ".join(staff[:5].mapped("display_name")),
                )
            )

    @api.model
    def _crisis_check_not_linked(self, vals_list):
        """Refuse new lines of customers already linked to their crisis.

        One query for the batch, before the INSERT: the unique constraint is the
        last guard, and would leave a "bad query" ERROR in the server log.
        """
        context = self.env.context
        pairs = [
            (
                vals.get("crisis_id", context.get("default_crisis_id")),
                vals.get("partner_id", context.get("default_partner_id")),
            )
            for vals in vals_list
        ]
        pairs = [
            (crisis_id, partner_id) for crisis_id, partner_id in pairs if crisis_id and partner_id
        ]
        duplicate = next((pair for pair, count in Counter(pairs).items() if count > 1), None)
        if pairs and not duplicate:
            self.flush_model(["crisis_id", "partner_id"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT crisis_id, partner_id
                      FROM crisis_impact
                      JOIN unnest(%s::int[], %s::int[]) AS new(crisis_id, partner_id)
                           USING (crisis_id, partner_id)
                     LIMIT 1
                    """,
                    [crisis_id for crisis_id, _partner_id in pairs],
                    [partner_id for _crisis_id, partner_id in pairs],
                )
            )
            duplicate = self.env.cr.fetchone()
        if duplicate:
            crisis = self.env["crisis.crisis"].sudo().browse(duplicate[0])
            partner = self.env["res.partner"].sudo().browse(duplicate[1])
            raise ValidationError(
                self.env._(
                    "%(customer)s is already an affected customer of crisis %(reference)s "
                    "(%(crisis)s).",
                    customer=partner.display_name,
                    reference=crisis.reference,
                    crisis=crisis.display_name,
                )
            )

    def _crisis_subscribe_owners(self):
        """The agent of each line and the lead of its crisis follow the line.

        So that a customer's reply to an email on the line reaches them. In
        batch: one ``_insert_followers`` per (agent, lead) pair, existing
        followers left as they are. Inactive users are left out, as
        ``message_subscribe`` does. The subscription follows from a change the
        user was allowed to make (new lines, a new agent or lead), like Odoo's
        auto-subscription of assigned users: it needs no more rights.
        """
        lines_by_owners = defaultdict(list)
        for impact in self.sudo():
            owners = (impact.user_id | impact.crisis_id.user_id).filtered("active")
            if owners:
                lines_by_owners[tuple(sorted(owners.partner_id.ids))].append(impact.id)
        Followers = self.env["mail.followers"].sudo()
        for partner_ids, impact_ids in lines_by_owners.items():
            Followers._insert_followers(self._name, impact_ids, list(partner_ids))

    @api.model
    def _crisis_context_selection(self):
        """The lines a wizard was opened on from the affected customers' list
        (``active_model``/``active_ids``): of one crisis; empty otherwise.

        :raise UserError: the selection spans several crises
        """
        context = self.env.context
        if context.get("active_model") != self._name or not context.get("active_ids"):
            return self.browse()
        impacts = self.browse(context["active_ids"])
        if len(impacts.crisis_id) != 1:
            raise UserError(self.env._("Select the affected customers of one crisis at a time."))
        return impacts

    def _crisis_classify_recipients(self):
        """Split these lines into those to email and those to skip, in one query.

        Skipped: customers without a valid email address (``no_email``),
        those whose address is on the email blacklist (``blacklisted``),
        self-reported lines no agent verified yet (``unverified``: anyone can
        write to a crisis inbox with a forged address), and those who
        unsubscribed from the notices of this crisis (``unsubscribed``); the
        others are to email (``sent``).

        :return: ``Recipients``: the ids of the lines to email, in id order, and
            {line id: ``sent`` | ``no_email`` | ``blacklisted`` | ``unverified``
            | ``unsubscribed``}
        """
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT impact.id, %s FROM %s WHERE impact.id = ANY(%s) ORDER BY impact.id",
                self._crisis_recipient_state(),
                self._crisis_recipient_tables(),
                self.ids,
            )
        )
        states = dict(self.env.cr.fetchall())
        return Recipients([id_ for id_, state in states.items() if state == "sent"], states)

    @api.model
    def _crisis_count_recipients(self, domain):
        """{``sent`` | ``no_email`` | ``blacklisted`` | ``unverified`` |
        ``unsubscribed``: number of lines} of ``domain``.

        As ``_crisis_classify_recipients``, counted by the database: nothing
        is read per line, whatever their number.
        """
        query = self._search(domain)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT %s, COUNT(*) FROM %s WHERE impact.id IN %s GROUP BY 1",
                self._crisis_recipient_state(),
                self._crisis_recipient_tables(),
                query.subselect(),
            )
        )
        return Counter(dict(self.env.cr.fetchall()))

    @api.model
    def _crisis_recipient_tables(self):
        return SQL(
            """crisis_impact impact
              JOIN res_partner partner ON partner.id = impact.partner_id
         LEFT JOIN mail_blacklist blacklist
                ON blacklist.email = partner.email_normalized AND blacklist.active"""
        )

    @api.model
    def _crisis_recipient_state(self):
        return SQL(
            """CASE WHEN COALESCE(partner.email_normalized, '') = '' THEN 'no_email'
                    WHEN blacklist.id IS NOT NULL THEN 'blacklisted'
                    WHEN impact.is_self_reported THEN 'unverified'
                    WHEN impact.is_unsubscribed THEN 'unsubscribed'
                    ELSE 'sent' END"""
        )

    def _crisis_email_template(self, template):
        """Email ``template`` to the customer of each line: a message on the line.

        What Odoo's composer in comment mode posts (see ``crisis.mail.batch``),
        in Odoo's light notification layout, with the customer-email subtype:
        the customer is emailed, the line's followers are not (they follow
        the customers' replies). The caller has checked that the customers
        may be emailed; the emails wait in Odoo's mail queue.

        :return: the posted ``mail.message`` records
        """
        return self._crisis_post_template(template, CUSTOMER_EMAIL_LAYOUT, CUSTOMER_EMAIL_SUBTYPE)

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
        # without email, blacklisted or unsubscribed, who are never asked
        emailed = self.browse(self._crisis_classify_recipients().impact_ids)
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
        # the customers actually emailed (not those without email, blacklisted
        # or unsubscribed) get their request date when their email is made
        self._crisis_send(template, kind="satisfaction")

    def _crisis_send(self, template, kind="progress", body=None, audience="all", detail=False):
        """Email ``template`` to the customers of these lines, one voice per crisis.

        One ``crisis.update`` per crisis records the send, with these lines as
        its audience, frozen now. One personalised email per customer,
        rendered in the customer's language and queued in Odoo's mail queue;
        customers without a valid email, on the blacklist or unsubscribed from
        the crisis are skipped and counted. Each email is a message on the
        customer's line; the lines get their last contact date, and become
        "notified" once the customer's mail server accepted the email (see
        ``crisis.update.recipient``). Up to the company's
        threshold this happens now; above it, the sending jobs do it in the
        background, in committed batches (see ``crisis.update``).

        :param body: the text of the update (``update_body`` in templates);
            the approved public statement when empty
        :return: the crisis.update records created
        """
        updates = self.env["crisis.update"]
        for crisis, lines in self.grouped("crisis_id").items():
            updates |= crisis._crisis_notify(
                lines, template, kind, body=body, audience_kind=audience, detail=detail
            )
        return updates

    def _mark_contacted(self, updates, when):
        """The lines were sent ``updates``: last contact, last update.

        Their contact status follows what the channels report, not the queue
        (``crisis_impact_reach.py``). One UPDATE whatever the number of lines
        (the ORM would write 100 rows per query); tracking is left out, the
        email on the line says it all.
        """
        self.check_access("write")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crisis_impact impact
                   SET date_last_contact = %(when)s,
                       last_update_id = sent.update_id,
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
        fields_written = ["date_last_contact", "last_update_id"]
        self.invalidate_recordset([*fields_written, "write_uid", "write_date"])
        self.modified(fields_written)
