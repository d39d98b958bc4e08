from . import crisis_signal_rule
from . import crisis_signal_rule_count
from . import crisis_crisis_signal
