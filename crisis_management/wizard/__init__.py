from . import crisis_domain_mixin
from . import crisis_impact_selection_mixin
from . import crisis_impact_wizard
from . import crisis_compensation_wizard
from . import crisis_config_settings
from . import crisis_notify_wizard
from . import mail_compose_message
from . import crisis_call_wizard
