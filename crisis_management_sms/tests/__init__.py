from . import test_sms_notify
from . import test_sms_reach
from . import test_sms_reach_policy
from . import test_sms_gate
