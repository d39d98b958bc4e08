"""What the notices did for each affected customer: their line follows the
reach traces of its update recipients (``crisis.update.recipient``).

- *Notified*: the last notice with an outcome reached the customer (accepted
  by their mail server or SMS provider, or their page opened, or answered);
- *Unreachable*: the last notice with an outcome failed or bounced on every
  channel tried: a task for another channel (a call, an SMS, a letter). A
  later notice still queued changes nothing: only its outcome does;
- ``is_reached``: at least one notice of the crisis reached the customer and
  did not bounce (the crisis' *Customers Reached* KPI counts them).

Only lines still *To Contact*, *Notified* or *Unreachable* follow the traces:
a customer in discussion, resolved or lost stays where the agent put them.
The reach job applies the traces (``crisis.update.recipient._cron_apply_reach``).

A customer's email posted on their line (a reply to a notice, through Odoo's
mail gateway, or a message on their page) answers the last notice that
reached them; automatic replies (internal notes) do not.
"""

from odoo import api, fields, models
from odoo.tools import SQL

from .crisis_update_recipient import REACH_STATUSES, REACHED, UNREACHED
from .crisis_workflow_mixin import as_workflow


class CrisisImpact(models.Model):
    _inherit = "crisis.impact"  # pylint: disable=consider-merging-classes-inherited

    is_reached = fields.Boolean(
        string="Reached",
        readonly=True,
        copy=False,
        help="A notice of this crisis reached the customer: accepted by their mail server or "
        "SMS provider (and not bounced since), or they opened their page or answered.",
    )

    update_recipient_ids = fields.One2many(
        "crisis.update.recipient",
        "impact_id",
        string="Notices",
        help="The customer updates sent to this customer and what became of each.",
    )

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded["is_reached"] = True
        return guarded

    def _crisis_apply_reach(self):
        """The contact status and reach of these lines, from their traces.

        One query reads the outcome of every line; the lines that change are
        written by the ORM, one write per new value (so that automated actions
        and audit logs see them), without tracking: the notices in the chatter
        show their delivery status.
        """
        lines = self.sudo()
        if not lines:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT recipient.impact_id,
                       (ARRAY_AGG(recipient.reach ORDER BY recipient.update_id DESC,
                                  recipient.id DESC))[1],
                       BOOL_OR(recipient.reach IN %(reached)s)
                  FROM crisis_update_recipient recipient
                 WHERE recipient.impact_id = ANY(%(ids)s) AND recipient.reach IN %(outcomes)s
              GROUP BY recipient.impact_id
                """,
                reached=REACHED,
                outcomes=REACHED + UNREACHED,
                ids=lines.ids,
            )
        )
        outcomes = {
            impact_id: (last, reached) for impact_id, last, reached in self.env.cr.fetchall()
        }
        changes = {}
        for line in lines:
            last, reached = outcomes.get(line.id, (False, False))
            values = {}
            if reached != line.is_reached:
                values["is_reached"] = reached
            if last and line.contact_status in REACH_STATUSES:
                status = "notified" if last in REACHED else "unreachable"
                if status != line.contact_status:
                    values["contact_status"] = status
            if values:
                changes.setdefault(tuple(sorted(values.items())), []).append(line.id)
        Impact = as_workflow(lines).with_context(mail_notrack=True)
        for values, ids in changes.items():
            Impact.browse(ids).write(dict(values))

    def _message_post_after_hook(self, message, msg_vals):
        """A customer's email or message on their line answers the last notice."""
        result = super()._message_post_after_hook(message, msg_vals)
        author_id = msg_vals.get("author_id") or message.author_id.id
        if (
            len(self) == 1
            and author_id
            and msg_vals.get("message_type", message.message_type) in ("email", "comment")
            and author_id == self.sudo().partner_id.id
            and not message.sudo().is_internal
            and not message.sudo().subtype_id.internal
        ):
            self.env["crisis.update.recipient"]._crisis_mark_answered(self)
        return result

    def _crisis_portal_opened(self):
        """The customer opened their page: the notices that reached them are opened."""
        self.ensure_one()
        return self.env["crisis.update.recipient"]._crisis_mark_opened(self)
