from . import crisis_signal_dismiss_wizard
