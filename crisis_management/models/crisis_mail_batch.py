"""Odoo's ``message_post``, for many records at once.

A crisis emails thousands of customers, each on their affected-customer line.
Odoo's composer in comment mode prepares the values of every post in batch
(``_prepare_mail_values``), then calls ``message_post`` once per record: each
call creates one message, one email and one notification with a few queries
apiece. ``_crisis_message_post_batch`` builds the same values with the same
methods of ``mail.thread``, record by record, and creates the messages, the
emails and the notifications of all the records with one ``create()`` per
model. The rows are those ``message_post`` writes: the differential test
``tests/test_mail_batch.py`` compares them, column by column.

Whatever the batch does not cover goes through Odoo's own methods for that
record: recipients notified otherwise than by email (internal users' inbox,
SMS), partners with web push devices, scheduled or immediate sending, and
re-sending to existing notifications.

The emails wait in Odoo's mail queue, except those a sending job makes
(context key ``crisis_deliver_in_job``): that job hands them to the SMTP
server itself once its batch is committed, so several cron workers deliver
one large send at once (``crisis.update._crisis_deliver``).
"""

from datetime import timedelta

from markupsafe import escape

from odoo import models
from odoo.tools import SQL, clean_context, split_every
from odoo.tools.misc import is_list_of

# how long the emails a sending job made wait for that job to hand them to
# the SMTP server before Odoo's mail queue may send them: longer than a cron
# worker may run (Odoo kills it after limit_time_real_cron, 120 s by default)
DELIVERY_GRACE = timedelta(minutes=10)

# what _notify_thread and _notify_thread_by_email accept besides their own
# keywords; anything else makes the record go through message_post itself
BATCH_NOTIFY_KWARGS = {
    "force_email_company",
    "force_email_lang",
    "force_send",
    "mail_auto_delete",
    "model_description",
    "send_after_commit",
    "subtitles",
}


class CrisisMailBatch(models.AbstractModel):
    _name = "crisis.mail.batch"
    _description = "Crisis: Messages Posted in Batch"

    # ------------------------------------------------------------
    # Posting
    # ------------------------------------------------------------

    def _crisis_post_template(self, template, email_layout_xmlid, subtype_xmlid):
        """Post ``template`` on each record, as Odoo's composer in comment mode does.

        The values are Odoo's composer's (``_prepare_mail_values``: rendering
        per language, the template's recipients, attachments and reports);
        the bodies are rendered with one QWeb compilation for all the records
        (see ``mail.render.mixin``). Nothing is sent at once: the emails wait
        in Odoo's mail queue, or for the sending job that made them.

        :return: the posted ``mail.message`` records
        """
        if not self:
            return self.env["mail.message"]
        composer = (
            self.env["mail.compose.message"]
            .with_context(
                default_composition_mode="comment",
                default_model=self._name,
                default_res_ids=self.ids,
                default_template_id=template.id,
            )
            .create(
                {
                    "email_layout_xmlid": email_layout_xmlid,
                    "force_send": False,
                    "message_type": "comment",
                    "subtype_id": self.env.ref(subtype_xmlid).id,
                }
            )
        )
        composer._crisis_check_customer_emails()
        values = composer.with_context(crisis_render_once=True)._prepare_mail_values(self.ids)
        records = self
        if composer.composition_batch:
            # as _action_send_mail_comment: the author does not follow every record
            records = self.with_context(mail_create_nosubscribe=True)
        return records._crisis_message_post_batch(values)

    def _crisis_message_post_batch(self, values_by_id):
        """``record.message_post(**values_by_id[record.id])`` for each record of ``self``.

        The same values, checks and hooks as ``message_post``, with one
        ``create()`` of messages, one of emails and one of notifications for
        all the records (see the module docstring for what goes through
        ``message_post`` itself).

        :return: the posted ``mail.message`` records, in the order of ``self``
        """
        self = self._fallback_lang()
        posts = []  # [record, msg_values, notify kwargs]
        messages_by_id = {}
        for record in self:
            post = record._crisis_prepare_post(dict(values_by_id[record.id]))
            if post is None:
                messages_by_id[record.id] = record.message_post(**values_by_id[record.id])
            else:
                posts.append(post)
        if posts:
            self._crisis_complete_posts(posts)
            messages = self._message_create([msg_values for _record, msg_values, _kw in posts])
            for (record, msg_values, _kwargs), message in zip(posts, messages, strict=True):
                messages_by_id[record.id] = message
                record._crisis_subscribe_author(msg_values)
                record._message_post_after_hook(message, msg_values)
            self._crisis_notify_batch(
                [
                    (record, messages_by_id[record.id], msg_values, kw)
                    for record, msg_values, kw in posts
                ]
            )
        Message = self.env["mail.message"]
        return Message.union(*(messages_by_id[record.id] for record in self))

    def _crisis_prepare_post(self, values):
        """The message values and notification keywords ``message_post`` makes of ``values``.

        As ``message_post`` does, less what needs the other records (parent,
        company, alias domain and reply-to, see ``_crisis_complete_posts``).
        None when the post is one the batch does not cover.
        """
        self.ensure_one()
        body = values.pop("body", "")
        subject = values.pop("subject", None)
        message_type = values.pop("message_type", "notification")
        email_from = values.pop("email_from", None)
        author_id = values.pop("author_id", None)
        parent_id = values.pop("parent_id", False)
        subtype_xmlid = values.pop("subtype_xmlid", None)
        subtype_id = values.pop("subtype_id", False)
        partner_ids = values.pop("partner_ids", None)
        attachments = values.pop("attachments", None)
        attachment_ids = values.pop("attachment_ids", None)
        if (
            values.pop("body_is_html", False)
            or message_type == "user_notification"
            or self.env.user._is_public()
            or (partner_ids and not is_list_of(partner_ids, int))
            or (attachment_ids and not is_list_of(attachment_ids, int))
            or (attachments and not is_list_of(attachments, (list, tuple)))
        ):
            return None  # message_post checks and handles these itself
        message_fields = self.env["mail.message"]._fields
        msg_values = {key: val for key, val in values.items() if key in message_fields}
        notify_kwargs = {key: val for key, val in values.items() if key not in msg_values}
        if notify_kwargs.get("scheduled_date") in (False, None):
            notify_kwargs.pop("scheduled_date", None)  # _notify_thread: not scheduled
        if set(notify_kwargs) - BATCH_NOTIFY_KWARGS or notify_kwargs.get("force_send"):
            return None
        self._raise_for_invalid_parameters(
            set(values), forbidden_names={"model", "res_id", "subtype"}
        )
        author_id, email_from = self._message_compute_author(
            author_id, email_from, raise_on_email=True
        )
        if subtype_xmlid:
            subtype_id = self.env["ir.model.data"]._xmlid_to_res_id(subtype_xmlid)
        if not subtype_id:
            subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        partner_ids = list(partner_ids or [])
        if self.env.context.get("mail_post_autofollow") and partner_ids:
            self.message_subscribe(partner_ids=partner_ids)
        msg_values.setdefault("email_add_signature", True)
        if not msg_values.get("record_name"):
            msg_values["record_name"] = self.sudo().display_name
        msg_values.update(
            {
                "author_id": author_id,
                "author_guest_id": False,
                "email_from": email_from,
                "model": self._name,
                "res_id": self.id,
                "body": escape(body),  # text escaped, markup kept
                "message_type": message_type,
                "parent_id": parent_id,
                "subject": subject or False,
                "subtype_id": subtype_id,
                "partner_ids": partner_ids,
            }
        )
        if parent_id:
            msg_values["parent_id"] = self._message_compute_parent_id(parent_id)
        msg_values.update(
            self._process_attachments_for_post(attachments, list(attachment_ids or []), msg_values)
        )
        return [self, msg_values, notify_kwargs]

    def _crisis_complete_posts(self, posts):
        """Parent message, company, alias domain and reply-to of each post, in batch.

        ``message_post`` computes them record by record: the thread's first
        message as parent (flat threads), and ``_mail_get_alias_domains``,
        ``_mail_get_companies`` and ``_notify_get_reply_to`` for one record.
        """
        records = self.browse([record.id for record, _values, _kw in posts])
        first_messages = {}
        if self._mail_flat_thread:
            without_parent = [rec.id for rec, values, _kw in posts if not values["parent_id"]]
            first_messages = self._crisis_first_messages(without_parent)
        alias_domains = records.sudo()._mail_get_alias_domains(default_company=self.env.company)
        companies = records._mail_get_companies(default=self.env.company)
        reply_to_by_from = {}
        for record, msg_values, _kwargs in posts:
            if not msg_values["parent_id"] and record.id in first_messages:
                msg_values["parent_id"] = first_messages[record.id]
            msg_values.setdefault("record_alias_domain_id", alias_domains[record.id].id)
            msg_values.setdefault("record_company_id", companies[record.id].id)
            if "reply_to" not in msg_values:
                email_from = msg_values["email_from"]
                if email_from not in reply_to_by_from:
                    reply_to_by_from[email_from] = records._notify_get_reply_to(default=email_from)
                msg_values["reply_to"] = reply_to_by_from[email_from][record.id]

    def _crisis_first_messages(self, res_ids):
        """{record id: id of its first message}: ``_message_compute_parent_id`` in one query."""
        if not res_ids:
            return {}
        self.env["mail.message"].flush_model(["model", "res_id", "message_type"])
        self.env.cr.execute(
            SQL(
                """
                SELECT res_id, MIN(id) FROM mail_message
                 WHERE model = %s AND res_id = ANY(%s) AND message_type != 'user_notification'
              GROUP BY res_id
                """,
                self._name,
                res_ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _crisis_subscribe_author(self, msg_values):
        """The author follows the record, unless told not to (as ``message_post``)."""
        if self.env.context.get("mail_create_nosubscribe") or (
            msg_values["message_type"] == "notification"
        ):
            return
        real_author_id = False
        if self.env.user.active:
            real_author_id = self.env.user.partner_id.id
        elif msg_values["author_id"]:
            author = self.env["res.partner"].browse(msg_values["author_id"])
            if author.active:
                real_author_id = author.id
        if real_author_id:
            self._message_subscribe(partner_ids=[real_author_id])

    # ------------------------------------------------------------
    # Notifying
    # ------------------------------------------------------------

    def _crisis_notify_batch(self, posts):
        """``_notify_thread`` of each post: emails in batch, the rest by Odoo itself.

        :param posts: [(record, message, msg_values, notify kwargs)]
        """
        recipients = self._crisis_recipients_data(
            [(record, message, msg_values) for record, message, msg_values, _kw in posts]
        )
        pids = {data["id"] for per_post in recipients for data in per_post}
        with_devices = set()
        if pids:
            devices = (
                self.env["mail.push.device"].sudo().search([("partner_id", "in", list(pids))])
            )
            with_devices = set(devices.partner_id.ids)
        tracked = set()
        messages = self.env["mail.message"].union(*(post[1] for post in posts))
        if messages:
            tracked = set(
                self.env["mail.tracking.value"]
                .sudo()
                .search([("mail_message_id", "in", messages.ids)])
                .mail_message_id.ids
            )
        emails = []  # [(mail values, recipient ids, message)]
        for (record, message, msg_values, kwargs), recipients_data in zip(
            posts, recipients, strict=True
        ):
            if not recipients_data:
                continue
            if any(
                data["notif"] != "email" for data in recipients_data
            ) or with_devices.intersection(data["id"] for data in recipients_data):
                # inbox, SMS or web push: Odoo notifies this one itself
                record._notify_thread(message, msg_values, **kwargs)
                continue
            for r in filter(lambda r: r["uid"], recipients_data):
                user = self.env["res.users"].browse(r["uid"])
                self.env.cache.insert_missing(user, user._fields["partner_id"], [r["id"]])
            render_vals = msg_values
            if message.id not in tracked:
                # no tracking: what _notify_by_email_prepare_rendering_context would find
                render_vals = dict(msg_values, tracking_value_ids=[])
            emails += record._crisis_notify_by_email_values(
                message, recipients_data, render_vals, **kwargs
            )
        if not emails:
            return
        deliver_at = None
        if self.env.context.get("crisis_deliver_in_job"):
            # the sending job hands these emails to the SMTP server itself once
            # its batch is committed (crisis.update._crisis_deliver); Odoo's mail
            # queue sends them only if that job died first
            deliver_at = self.env.cr.now() + DELIVERY_GRACE
            for values, _pids, _message in emails:
                values["scheduled_date"] = deliver_at
        mails = (
            self.env["mail.mail"]
            .sudo()
            .with_context(clean_context(self.env.context))
            .create([values for values, _pids, _message in emails])
        )
        self.env["mail.notification"].sudo().with_context(clean_context(self.env.context)).create(
            [
                {
                    "author_id": message.author_id.id,
                    "is_read": True,  # discard Inbox notification
                    "mail_mail_id": mail.id,
                    "mail_message_id": message.id,
                    "notification_status": "ready",
                    "notification_type": "email",
                    "res_partner_id": pid,
                }
                for mail, (_values, recipient_ids, message) in zip(mails, emails, strict=True)
                for pid in recipient_ids
            ]
        )
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger(deliver_at)

    def _crisis_recipients_data(self, posts):
        """``_notify_get_recipients`` of each post, with two queries for all.

        :param posts: [(record, message, msg_values)], all of one message type
            and subtype or not: grouped here
        :return: [recipients data] in the order of ``posts``
        """
        Followers = self.env["mail.followers"]
        all_pids = sorted({pid for _r, _m, values in posts for pid in values["partner_ids"]})
        # the partners named by the posts, as a record's follower or not
        partners_data = {}
        following = set()
        if all_pids:
            first = posts[0][2]
            partners_data = Followers._get_recipient_data(
                self.browse(), first["message_type"], first["subtype_id"], all_pids
            )[0]
            Followers.flush_model(["res_model", "res_id", "partner_id"])
            self.env.cr.execute(
                SQL(
                    "SELECT res_id, partner_id FROM mail_followers"
                    " WHERE res_model = %s AND res_id = ANY(%s) AND partner_id = ANY(%s)",
                    self._name,
                    [record.id for record, _m, _v in posts],
                    all_pids,
                )
            )
            following = set(self.env.cr.fetchall())
        # the followers of each record who follow the subtype
        followers = {}
        groups = {}
        for record, _message, values in posts:
            key = (values["message_type"], values["subtype_id"])
            groups.setdefault(key, []).append(record.id)
        for (message_type, subtype_id), res_ids in groups.items():
            followers.update(
                Followers._get_recipient_data(self.browse(res_ids), message_type, subtype_id)
            )
        notify_author = self.env.context.get("mail_notify_author")
        result = []
        for record, message, values in posts:
            res = dict(followers.get(record.id, {}))
            for pid in values["partner_ids"]:
                if pid not in res and pid in partners_data:
                    res[pid] = dict(partners_data[pid], is_follower=(record.id, pid) in following)
            real_author_id = False
            if not notify_author:
                if self.env.user.active:
                    real_author_id = self.env.user.partner_id.id
                elif values.get("author_id"):
                    real_author_id = values["author_id"]
                else:
                    real_author_id = message.author_id.id
            result.append(
                [
                    data
                    for pid, data in res.items()
                    if not (pid and pid == real_author_id) and data["active"] is not False
                ]
            )
        return result

    def _crisis_notify_by_email_values(
        self,
        message,
        recipients_data,
        msg_vals,
        mail_auto_delete=True,
        model_description=False,
        force_email_company=False,
        force_email_lang=False,
        subtitles=None,
        force_send=False,
        send_after_commit=True,
    ):
        """The emails ``_notify_thread_by_email`` would create, not created.

        :return: [(``mail.mail`` values, recipient partner ids, message)]
        """
        partners_data = [r for r in recipients_data if r["notif"] == "email"]
        if not partners_data:
            return []
        base_mail_values = self._notify_by_email_get_base_mail_values(
            message, additional_values={"auto_delete": mail_auto_delete}
        )
        batch_size = int(self.env["ir.config_parameter"].sudo().get_param("mail.batch_size")) or 50
        emails = []
        for (
            _lang,
            render_values,
            recipients_group,
        ) in self._notify_get_classified_recipients_iterator(
            message,
            partners_data,
            msg_vals=msg_vals,
            model_description=model_description,
            force_email_company=force_email_company,
            force_email_lang=force_email_lang,
            subtitles=subtitles,
        ):
            mail_body = self._notify_by_email_render_layout(
                message, recipients_group, msg_vals=msg_vals, render_values=render_values
            )
            recipients_ids = recipients_group.pop("recipients")
            for chunk in split_every(batch_size, recipients_ids):
                mail_values = self._notify_by_email_get_final_mail_values(
                    chunk, base_mail_values, additional_values={"body_html": mail_body}
                )
                emails.append((mail_values, list(chunk), message))
        return emails
