from . import test_signal_rules
from . import test_signal_rule_bad_input
