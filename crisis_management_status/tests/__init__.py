from . import test_status_page
from . import test_status_tours
from . import test_subscription
from . import test_subscription_bad_input
from . import test_public_routes_bad_input
from . import test_status_languages
