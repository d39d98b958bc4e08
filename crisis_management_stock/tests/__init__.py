from . import test_received, test_replacement
