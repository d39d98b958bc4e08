from . import portal
from . import status
from . import subscription
from . import unsubscribe
