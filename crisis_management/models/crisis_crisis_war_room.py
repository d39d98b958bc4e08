"""One voice inside the company: a war room per crisis in Discuss, and the
approved statement as canned responses where agents type."""

import re

from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext, is_html_empty

from .crisis_type import SEVERITIES
from .crisis_workflow_mixin import as_workflow

SEVERITY_RANK = {code: rank for rank, (code, _label) in enumerate(SEVERITIES)}
CRISIS_USERS = "crisis_management.group_crisis_user"


class CrisisCrisis(models.Model):
    """A crisis of at least the company's war-room severity gets a Discuss
    channel when it is declared (or escalated to it). Its members are the
    crisis members (the lead, the team leader and members), kept in step as
    the team changes. The key events are posted there, short, in each
    member's language, with a link to the crisis. Closing the crisis posts
    a summary and archives the channel.

    Approving the public statement makes it a canned response
    (``mail.canned.response``) per language for the crisis users, with the
    talking points as one more; they are remade at each approval and removed
    when the crisis closes.
    """

    _inherit = "crisis.crisis"  # pylint: disable=consider-merging-classes-inherited

    war_room_channel_id = fields.Many2one(
        "discuss.channel",
        string="War Room",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The Discuss channel of the crisis team: its members follow the team, and the "
        "key events of the crisis are posted there.",
    )
    canned_response_ids = fields.One2many(
        "mail.canned.response",
        "crisis_id",
        string="Canned Responses",
        readonly=True,
        help="The approved statement (one per language) and the talking points, as canned "
        "responses: type ':' and their shortcut in Discuss, live chat or the chatter.",
    )
    canned_response_codes = fields.Char(
        string="Shortcuts",
        compute="_compute_canned_response_codes",
        help="Type one of these (with its ':') in a message to insert the approved words.",
    )

    @api.depends("canned_response_ids.source")
    def _compute_canned_response_codes(self):
        for crisis in self:
            sources = crisis.sudo().canned_response_ids.sorted("id").mapped("source")
            crisis.canned_response_codes = " ".join(f":{source}" for source in sources)

    @api.model
    def _crisis_guarded_fields(self):
        guarded = super()._crisis_guarded_fields()
        guarded.update(war_room_channel_id=True, canned_response_ids=True)
        return guarded

    # ------------------------------------------------------------------
    # CRUD: the events
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        crises = super().create(vals_list)
        for crisis in crises._crisis_needing_war_room():
            crisis._crisis_open_war_room()
        return crises

    def write(self, vals):
        before = {}
        if vals.keys() & {"severity", "stage_id", "team_id", "user_id", "statement_state"}:
            before = {
                crisis.id: (
                    crisis.severity,
                    crisis.is_resolved,
                    crisis.is_closed,
                    crisis.statement_state,
                )
                for crisis in self
            }
        escalating = (
            self.filtered(lambda c: not c.date_escalated) if "date_escalated" in vals else None
        )
        result = super().write(vals)
        if before:
            self._crisis_war_room_after_write(vals, before)
        if escalating and vals.get("date_escalated"):
            escalating._crisis_war_room_post(
                lambda crisis, _: crisis.env._(
                    "SLA breached: %(crisis)s was not acknowledged before its deadline. The "
                    "Crisis Managers were asked to step in.",
                    crisis=crisis._crisis_war_room_link(),
                )
            )
        return result

    def _crisis_war_room_after_write(self, vals, before):
        for crisis in self:
            severity, was_resolved, was_closed, statement_state = before[crisis.id]
            if "severity" in vals and SEVERITY_RANK.get(crisis.severity, 0) > SEVERITY_RANK.get(
                severity, 0
            ):
                if crisis._crisis_needing_war_room():
                    crisis._crisis_open_war_room()
                else:
                    crisis._crisis_war_room_post(
                        lambda c, _: c.env._(
                            "Escalated: %(crisis)s is now of %(severity)s severity.",
                            crisis=c._crisis_war_room_link(),
                            severity=dict(c._fields["severity"]._description_selection(c.env)).get(
                                c.severity
                            ),
                        )
                    )
            if vals.keys() & {"team_id", "user_id"}:
                crisis._crisis_sync_war_room()
            if statement_state != "approved" and crisis.statement_state == "approved":
                crisis._crisis_refresh_canned_responses()
                crisis._crisis_war_room_post(
                    lambda c, _: c.env._(
                        "Public statement approved for %(crisis)s: use %(codes)s to answer "
                        "customers with the approved words.",
                        crisis=c._crisis_war_room_link(),
                        codes=c.canned_response_codes or "-",
                    )
                )
            if not was_resolved and crisis.is_resolved and not crisis.is_closed:
                crisis._crisis_war_room_post(
                    lambda c, _: c.env._("Resolved: %(crisis)s.", crisis=c._crisis_war_room_link())
                )
            if not was_closed and crisis.is_closed:
                crisis._crisis_close_war_room()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_open_war_room(self):
        """Open the crisis' channel in Discuss."""
        self.ensure_one()
        channel = self.war_room_channel_id
        if not channel:
            # opening one is changing the crisis: its members only
            self.check_access("write")
            channel = self._crisis_open_war_room()
        # Discuss opens the thread of its context's active_id first: the
        # channel's, not the crisis' (the button's own context has its id)
        thread = f"discuss.channel_{channel.id}"
        return {
            "type": "ir.actions.client",
            "tag": "mail.action_discuss",
            "context": {"active_id": thread},
            "params": {"active_id": thread},
        }

    # ------------------------------------------------------------------
    # The war room
    # ------------------------------------------------------------------

    def _crisis_needing_war_room(self):
        """The crises of at least their company's war-room severity without
        a channel yet (never for drills, whose war room the team opens by
        hand)."""
        return self.filtered(
            lambda c: (
                not c.war_room_channel_id
                and not c.is_drill
                and c.company_id.crisis_war_room_severity
                and SEVERITY_RANK.get(c.severity, 0)
                >= SEVERITY_RANK.get(c.company_id.crisis_war_room_severity, 99)
            )
        )

    def _crisis_open_war_room(self):
        """Make the channel of this crisis, with its members, and say so."""
        self.ensure_one()
        # sudo: the channel belongs to the crisis, whoever declares it
        channel = (
            self.env["discuss.channel"]
            .sudo()
            .create(
                {
                    "name": f"{self.reference} {self.name}",
                    "channel_type": "channel",
                    "description": self.env._(
                        "War room of the crisis %(crisis)s", crisis=self.reference
                    ),
                    "group_public_id": self.env.ref(CRISIS_USERS).id,
                }
            )
        )
        as_workflow(self).write({"war_room_channel_id": channel.id})
        self._crisis_sync_war_room()
        self._crisis_war_room_post(
            lambda crisis, _: crisis.env._(
                "War room of %(crisis)s (%(severity)s severity), declared by %(user)s. Its key "
                "events are posted here.",
                crisis=crisis._crisis_war_room_link(),
                severity=dict(crisis._fields["severity"]._description_selection(crisis.env)).get(
                    crisis.severity
                ),
                user=crisis.create_uid.name or crisis.env.user.name,
            )
        )
        return channel

    def _crisis_sync_war_room(self):
        """The channel's members are the crisis members: those who joined the
        team join it, those who left leave it."""
        for crisis in self.filtered("war_room_channel_id"):
            channel = crisis.war_room_channel_id.sudo()
            wanted = crisis.sudo().member_user_ids.filtered("active").partner_id
            members = channel.channel_member_ids
            present = members.partner_id
            missing = wanted - present
            if missing:
                channel.add_members(partner_ids=missing.ids, post_joined_message=False)
            gone = members.filtered(
                lambda m, wanted=wanted: (
                    m.partner_id
                    and m.partner_id not in wanted
                    and m.partner_id.user_ids
                    and not m.partner_id.user_ids[:1].share
                )
            )
            gone.unlink()

    def _crisis_war_room_languages(self):
        """The languages of the channel's members (the company's when none)."""
        self.ensure_one()
        partners = self.war_room_channel_id.sudo().channel_member_ids.partner_id
        langs = [lang for lang in dict.fromkeys(partners.mapped("lang")) if lang]
        return langs or [self.env.lang or "en_US"]

    def _crisis_war_room_link(self):
        return Markup(
            '<a href="/odoo/action-crisis_management.crisis_crisis_action/%s">%s</a>'
        ) % (
            self.id,
            self.reference,
        )

    def _crisis_war_room_post(self, text_of):
        """Post in the war room of each of these crises, once per language
        of its members: ``text_of(crisis_in_lang, lang)`` says it."""
        odoobot = self.env.ref("base.partner_root")
        for crisis in self.filtered("war_room_channel_id"):
            texts = []
            for lang in crisis._crisis_war_room_languages():
                text = text_of(crisis.with_context(lang=lang), lang)
                if text not in texts:
                    texts.append(text)
            crisis.war_room_channel_id.sudo().message_post(
                body=Markup("<br/>").join(texts),
                author_id=odoobot.id,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )

    def _crisis_close_war_room(self):
        """The summary, then the channel archived; the canned responses removed."""
        self.ensure_one()
        self.sudo().canned_response_ids.unlink()
        if not self.war_room_channel_id:
            return
        self._crisis_war_room_post(
            lambda crisis, _: crisis.env._(
                "Closed: %(crisis)s. %(customers)s affected customer(s), %(updates)s customer "
                "update(s) sent, %(compensations)s compensation(s). This war room is archived.",
                crisis=crisis._crisis_war_room_link(),
                customers=crisis.affected_count,
                updates=len(crisis.sudo().update_ids.filtered(lambda u: u.state == "sent")),
                compensations=len(crisis.sudo().compensation_ids),
            )
        )
        self.war_room_channel_id.sudo().action_archive()

    # ------------------------------------------------------------------
    # The approved words as canned responses
    # ------------------------------------------------------------------

    def _crisis_canned_code(self):
        """The shortcut of the crisis: ``cri2611`` for CRI/2026/0011."""
        self.ensure_one()
        numbers = re.findall(r"\d+", self.reference or "")
        letters = re.sub(r"[^a-z]", "", (self.reference or "").split("/")[0].lower()) or "cri"
        if len(numbers) >= 2:
            code = f"{letters}{numbers[-2][-2:]}{int(numbers[-1])}"
        else:
            code = f"{letters}{self.id}"
        return code

    def _crisis_refresh_canned_responses(self):
        """The approved statement in each active language (where it reads
        differently), and the talking points, as canned responses of the
        crisis users; the previous ones removed."""
        self.ensure_one()
        Canned = self.env["mail.canned.response"].sudo()
        self.sudo().canned_response_ids.unlink()
        code = self._crisis_canned_code()
        if Canned.search_count([("source", "=like", f"{code}%"), ("crisis_id", "!=", self.id)]):
            code = f"{code}x{self.id}"
        group = self.env.ref(CRISIS_USERS)
        company_lang = self.company_id.partner_id.lang or self.env.lang or "en_US"
        langs = [company_lang] + [
            code_ for code_, _name in self.env["res.lang"].get_installed() if code_ != company_lang
        ]
        values, seen = [], set()
        for lang in langs:
            crisis = self.sudo().with_context(lang=lang)
            if is_html_empty(crisis.public_statement):
                continue
            text = html2plaintext(crisis.public_statement).strip()
            if text in seen:
                continue
            seen.add(text)
            short = lang.split("_")[0]
            values.append(
                {
                    "source": code if lang == company_lang else f"{code}-{short}",
                    "substitution": text,
                    "description": crisis.env._(
                        "%(crisis)s: approved statement (%(lang)s)",
                        crisis=crisis.public_title or crisis.reference,
                        lang=short,
                    ),
                    "group_ids": [Command.set(group.ids)],
                    "crisis_id": self.id,
                }
            )
        if not is_html_empty(self.talking_points):
            crisis = self.sudo().with_context(lang=company_lang)
            values.append(
                {
                    "source": f"{code}-points",
                    "substitution": html2plaintext(self.talking_points).strip(),
                    "description": crisis.env._(
                        "%(crisis)s: talking points (internal)", crisis=crisis.reference
                    ),
                    "group_ids": [Command.set(group.ids)],
                    "crisis_id": self.id,
                }
            )
        return Canned.create(values)


class MailCannedResponse(models.Model):
    _inherit = "mail.canned.response"

    crisis_id = fields.Many2one(
        "crisis.crisis",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
        help="The crisis whose approved words this is: remade at each approval of its "
        "statement, removed when it closes.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._crisis_check_crisis_link(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._crisis_check_crisis_link([vals])
        return super().write(vals)

    def _crisis_check_crisis_link(self, vals_list):
        """Only the crisis makes its canned responses."""
        if self.env.su or not any("crisis_id" in vals for vals in vals_list):
            return
        raise UserError(
            self.env._(
                "The canned responses of a crisis are made by approving its statement, not by "
                "hand."
            )
        )


class CrisisUpdate(models.Model):
    _inherit = "crisis.update"  # pylint: disable=consider-merging-classes-inherited

    def write(self, vals):
        finishing = self.browse()
        if vals.get("state") == "sent":
            # only the updates of crises with a war room are looked at closer
            with_room = self.crisis_id.filtered("war_room_channel_id")
            if with_room:
                finishing = self.filtered(lambda u: u.crisis_id in with_room and u.state != "sent")
        result = super().write(vals)
        for update in finishing:
            update.crisis_id._crisis_war_room_post(
                lambda crisis, _lang, update=update: crisis.env._(
                    "Customer update sent on %(crisis)s: %(name)s. So far %(sent)s accepted by "
                    "the mail servers, %(queued)s still queued, %(failed)s failed, %(skipped)s "
                    "skipped; its counts on the crisis follow what the servers report.",
                    crisis=crisis._crisis_war_room_link(),
                    name=update.with_env(crisis.env).name,
                    sent=update.sent_count,
                    queued=update.queued_count,
                    failed=update.failed_count + update.bounced_count,
                    skipped=update.skipped_count,
                )
            )
        return result


class CrisisCompensation(models.Model):
    _inherit = "crisis.compensation"  # pylint: disable=consider-merging-classes-inherited

    def write(self, vals):
        waiting_before = None
        with_room = self.env["crisis.crisis"]
        if vals.get("state") == "to_approve":
            # only the crises with a war room are counted
            with_room = self.crisis_id.filtered("war_room_channel_id")
            if with_room:
                waiting_before = self._crisis_waiting_by_crisis(with_room)
        result = super().write(vals)
        if waiting_before is not None:
            # a new wave of requests: the war room hears of it once, not per batch
            waiting = self._crisis_waiting_by_crisis(with_room)
            for crisis in with_room:
                if not waiting_before.get(crisis.id) and waiting.get(crisis.id):
                    crisis._crisis_war_room_post(
                        lambda c, _lang, count=waiting[crisis.id]: c.env._(
                            "%(count)s compensation(s) of %(crisis)s await approval.",
                            count=count,
                            crisis=c._crisis_war_room_link(),
                        )
                    )
        return result


class CrisisTeam(models.Model):
    _inherit = "crisis.team"  # pylint: disable=consider-merging-classes-inherited

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & {"leader_id", "member_ids"}:
            self._crisis_sync_war_rooms()
        return result

    def _crisis_sync_war_rooms(self):
        crises = (
            self.env["crisis.crisis"]
            .sudo()
            .search([("team_id", "in", self.ids), ("war_room_channel_id", "!=", False)])
        )
        crises._crisis_sync_war_room()


class CrisisTeamMember(models.Model):
    _inherit = "crisis.team.member"  # pylint: disable=consider-merging-classes-inherited

    @api.model_create_multi
    def create(self, vals_list):
        members = super().create(vals_list)
        members.team_id._crisis_sync_war_rooms()
        return members

    def write(self, vals):
        teams = self.team_id
        result = super().write(vals)
        (teams | self.team_id)._crisis_sync_war_rooms()
        return result

    def unlink(self):
        teams = self.team_id
        result = super().unlink()
        teams.exists()._crisis_sync_war_rooms()
        return result
