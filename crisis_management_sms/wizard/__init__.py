from . import crisis_notify_wizard
from . import crisis_config_settings
from . import sms_composer
