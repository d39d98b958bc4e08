"""How many parts a text message is billed as: GSM-7 or UCS-2.

An SMS carries 140 bytes: 160 characters of the GSM 03.38 alphabet (7 bits
each; the characters of its extension table take two), or 70 UTF-16 code
units (UCS-2) as soon as one character is outside it, as any Chinese text. A
longer text is split into parts that each lose room to the concatenation
header: 153 GSM-7 characters or 67 UTF-16 code units a part. Providers bill
every part, Odoo's IAP service included.
"""

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7, UCS2 = "gsm7", "ucs2"
# (characters of a single message, characters of each part of a longer one)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


def sms_encoding(text):
    """``gsm7`` if every character of ``text`` is in the GSM 03.38 alphabet, else ``ucs2``."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        return GSM7
    return UCS2


def sms_length(text, encoding=None):
    """The length of ``text`` as the network counts it in ``encoding``: GSM-7
    extension characters count two, and UCS-2 counts UTF-16 code units (an
    emoji counts two)."""
    encoding = encoding or sms_encoding(text)
    if encoding == GSM7:
        return len(text) + sum(1 for char in text if char in GSM7_EXTENSION)
    return len(text.encode("utf-16-le")) // 2


def sms_parts(text):
    """(encoding, length, parts) of ``text``: the parts it is sent and billed as."""
    text = text or ""
    encoding = sms_encoding(text)
    length = sms_length(text, encoding)
    single, part = LIMITS[encoding]
    if not length:
        return encoding, 0, 0
    if length <= single:
        return encoding, length, 1
    return encoding, length, -(-length // part)
