from . import status
from . import subscription
from . import feed
