"""Emails to affected customers in bulk: the mail queue, without a query per customer.

Odoo's composer creates each message and email through the ORM, which inserts
100 rows per query and computes each row's values one by one. Here the
template is rendered in batch (per language, as the composer does) and the
messages, emails, recipients and notifications are inserted with one query per
table, whatever the number of customers. The rows are those Odoo's own
``_notify_thread_by_email`` makes: a message on the customer's line, an email
in the queue linked to it, and an email notification that the queue updates
when it sends the email (so the chatter shows whether it was delivered).
"""

import logging
import re
from collections import defaultdict, namedtuple

from lxml import html
from markupsafe import Markup

from odoo import fields
from odoo.tools import SQL, safe_eval
from odoo.tools.mail import generate_tracking_message_id

_logger = logging.getLogger(__name__)

# the template fields an email to a customer needs (besides the body)
HEADER_FIELDS = ("subject", "email_from", "reply_to")
# line breaks (what str.splitlines splits on) and the blanks around them: an
# email header is one line
LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")

Recipients = namedtuple("Recipients", ["impact_ids", "state_by_impact"])


def classify_recipients(impacts):
    """Split ``impacts`` into those to email and those to skip, in one query.

    Skipped: customers without a valid email address (``no_email``), and
    those whose address is on the email blacklist (``blacklisted``); the
    others are to email (``sent``).

    :return: ``Recipients``: the ids of the lines to email, in id order, and
        {line id: ``sent`` | ``no_email`` | ``blacklisted``}
    """
    impacts.env.flush_all()
    impacts.env.cr.execute(
        SQL(
            """
            SELECT impact.id,
                   CASE WHEN COALESCE(partner.email_normalized, '') = '' THEN 'no_email'
                        WHEN blacklist.id IS NOT NULL THEN 'blacklisted'
                        ELSE 'sent' END
              FROM crisis_impact impact
              JOIN res_partner partner ON partner.id = impact.partner_id
         LEFT JOIN mail_blacklist blacklist
                ON blacklist.email = partner.email_normalized AND blacklist.active
             WHERE impact.id = ANY(%s)
          ORDER BY impact.id
            """,
            impacts.ids,
        )
    )
    states = dict(impacts.env.cr.fetchall())
    return Recipients([id_ for id_, state in states.items() if state == "sent"], states)


def _insert(cr, table, columns, rows, returning=True):
    """INSERT ``rows`` (tuples in ``columns`` order) in one query; return the ids."""
    if not rows:
        return []
    names, types = zip(*columns, strict=True)
    arrays = [list(values) for values in zip(*rows, strict=True)]
    query = SQL(
        "INSERT INTO %s (%s) SELECT * FROM unnest(%s)",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(name) for name in names),
        SQL(", ").join(
            SQL("%s::" + sql_type + "[]", array)
            for array, sql_type in zip(arrays, types, strict=True)
        ),
    )
    if not returning:
        cr.execute(query)
        return []
    cr.execute(SQL("%s RETURNING id", query))
    return [row[0] for row in cr.fetchall()]


def _render_qweb_once(template, field, res_ids):
    """``template._render_field(field, res_ids)`` for a QWeb field, compiled once.

    Odoo's mail renderer parses and compiles a QWeb template again for every
    record (a template given as an etree is not cached), which is most of the
    cost of a mass email. This does what it does (same evaluation context,
    same restrictions, same post-processing of links) with one compilation for
    all the records. On any error it hands over to Odoo's renderer, which then
    raises its own, clear error.
    """
    source = template[field]
    model = template.render_model
    if not source or not template._has_unsafe_expression_template_qweb(source, model):
        return template._render_field(field, res_ids)
    try:
        options = {}
        if not (
            template._unrestricted_rendering
            or template.env.is_admin()
            or template.env.user.has_group("mail.group_mail_template_editor")
        ):
            options["raise_on_forbidden_code_for_model"] = model
        qweb = template.env["ir.qweb"].with_context(**options)
        variables = template._render_eval_context()
        compiled = dict(variables)
        functions, name = qweb._prepare_environment(compiled)._compile(
            html.fragment_fromstring(source, create_parent="div")
        )
        render = functions[name]
        results = {}
        for record in template.env[model].browse(res_ids):
            values = dict(variables, object=record)
            env_qweb = qweb._prepare_environment(values)
            safe_eval.check_values(values)
            # drop the <div> wrapping the template's nodes, as Odoo does
            results[record.id] = Markup("".join(render(env_qweb, values))[5:-6])
    except Exception:  # noqa: BLE001 - Odoo's renderer reports the error itself
        _logger.info("Rendering %s once failed, using Odoo's renderer", template, exc_info=True)
        return template._render_field(field, res_ids)
    if template._fields[field].render_options.get("post_process"):
        results = template._render_template_postprocess(model, results)
    return results


def single_line(text):
    """``text`` on one line: each line break, with the blanks around it, becomes a space.

    A line break in a header (a crisis name in the subject) makes the email
    impossible to send ("Header values may not contain linefeed").
    """
    return LINE_BREAKS.sub(" ", text) if text else text


def render_template(template, res_ids):
    """Subject, sender, reply-to and body of ``template`` for each record.

    As ``template._generate_template`` does: per language of the recipients,
    the template in that language; the body with ``_render_qweb_once``. The
    subject is made single-line, so that every queued email can be sent.
    """
    rendered = defaultdict(dict)
    for _lang, (lang_template, lang_ids) in template._classify_per_lang(res_ids).items():
        for field in HEADER_FIELDS:
            for res_id, value in lang_template._render_field(field, lang_ids).items():
                rendered[res_id][field] = single_line(value) if field == "subject" else value
        for res_id, value in _render_qweb_once(lang_template, "body_html", lang_ids).items():
            rendered[res_id]["body_html"] = value
    return rendered


def queue_template(impacts, template):
    """Render ``template`` for each of ``impacts`` and queue one email per customer.

    The caller has checked that the customers may be emailed.
    """
    env = impacts.env
    cr = env.cr
    impacts = impacts.with_prefetch(impacts.ids)
    rendered = render_template(template, impacts.ids)
    author = env.user.partner_id
    default_from = author.email_formatted or env.company.email_formatted
    reply_to_default = impacts._notify_get_reply_to(default=default_from)
    body_field = env["mail.message"]._fields["body"]
    comment = env.ref("mail.mt_comment")
    now = fields.Datetime.now()
    uid = env.uid
    server_ids = {}
    if template.mail_server_id:
        server_ids = dict.fromkeys(impacts.ids, template.mail_server_id.id)

    message_rows, mail_bodies, headers = [], [], []
    for impact in impacts:
        values = rendered[impact.id]
        body = values.get("body_html") or ""
        email_from = values.get("email_from") or default_from
        company = impact.company_id
        header = {"X-Odoo-Objects": f"{impact._name}-{impact.id}"}
        if company.bounce_email:
            header["Return-Path"] = company.bounce_email
        headers.append(repr(header))
        mail_bodies.append(body)
        message_rows.append(
            (
                impact._name,
                impact.id,
                impact.display_name,
                company.id,
                company.alias_domain_id.id or None,
                values.get("subject") or "",
                body_field.convert_to_column(body, impact.env["mail.message"]),
                "comment",
                comment.id,
                author.id,
                email_from,
                values.get("reply_to") or reply_to_default.get(impact.id) or email_from,
                generate_tracking_message_id(f"{impact.id}-{impact._name}"),
                server_ids.get(impact.id),
                now,
                False,
                uid,
                now,
                uid,
                now,
            )
        )
    message_ids = _insert(
        cr,
        "mail_message",
        [
            ("model", "varchar"),
            ("res_id", "int"),
            ("record_name", "varchar"),
            ("record_company_id", "int"),
            ("record_alias_domain_id", "int"),
            ("subject", "varchar"),
            ("body", "text"),
            ("message_type", "varchar"),
            ("subtype_id", "int"),
            ("author_id", "int"),
            ("email_from", "varchar"),
            ("reply_to", "varchar"),
            ("message_id", "varchar"),
            ("mail_server_id", "int"),
            ("date", "timestamp"),
            ("is_internal", "bool"),
            ("create_uid", "int"),
            ("create_date", "timestamp"),
            ("write_uid", "int"),
            ("write_date", "timestamp"),
        ],
        message_rows,
    )
    partner_ids = [impact.partner_id.id for impact in impacts]
    _insert(
        cr,
        "mail_message_res_partner_rel",
        [("mail_message_id", "int"), ("res_partner_id", "int")],
        list(zip(message_ids, partner_ids, strict=True)),
        returning=False,
    )
    mail_ids = _insert(
        cr,
        "mail_mail",
        [
            ("mail_message_id", "int"),
            ("body_html", "text"),
            ("references", "text"),
            ("headers", "text"),
            ("state", "varchar"),
            ("is_notification", "bool"),
            ("auto_delete", "bool"),
            ("create_uid", "int"),
            ("create_date", "timestamp"),
            ("write_uid", "int"),
            ("write_date", "timestamp"),
        ],
        [
            (message_id, body, row[12], header, "outgoing", True, True, uid, now, uid, now)
            for message_id, body, row, header in zip(
                message_ids, mail_bodies, message_rows, headers, strict=True
            )
        ],
    )
    _insert(
        cr,
        "mail_mail_res_partner_rel",
        [("mail_mail_id", "int"), ("res_partner_id", "int")],
        list(zip(mail_ids, partner_ids, strict=True)),
        returning=False,
    )
    _insert(
        cr,
        "mail_notification",
        [
            ("author_id", "int"),
            ("mail_message_id", "int"),
            ("mail_mail_id", "int"),
            ("res_partner_id", "int"),
            ("notification_type", "varchar"),
            ("notification_status", "varchar"),
            ("is_read", "bool"),
        ],
        [
            (author.id, message_id, mail_id, partner_id, "email", "ready", True)
            for message_id, mail_id, partner_id in zip(
                message_ids, mail_ids, partner_ids, strict=True
            )
        ],
        returning=False,
    )
    # what the ORM would have done after creating them
    impacts.invalidate_recordset(["message_ids"])
    env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
    return env["mail.mail"].browse(mail_ids)
