from . import status
from . import subscription
