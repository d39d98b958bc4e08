"""``sms_state`` *sent* meant "queued" before 18.0.1.1.0: it is *queued* now,
and *sent* means accepted by the SMS provider (see post-migrate.py)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE crisis_update_recipient SET sms_state = 'queued' WHERE sms_state = 'sent'")
