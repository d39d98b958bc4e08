from . import crisis_crisis_status
from . import crisis_update_status
from . import crisis_subscription
from . import crisis_impact_subscription
from . import crisis_webhook
from . import crisis_webhook_delivery
