from . import portal
from . import status
