from . import test_sms_notify
