from . import crisis_notify_wizard
