"""Test support for applications using Tiauth Faroe.

The pytest fixtures (``tiauth``, ``tiauth_client``, ``tiauth_codes``, ...) live in
:mod:`tiauth_faroe.testing.plugin`, which pytest loads by itself once the
``tiauth-faroe-server`` wheel is installed. :func:`start_stack` starts the same stack
outside pytest.
"""

from .commands import UserServerCommands
from .stack import StackError, TiauthStack, start_stack

__all__ = ["StackError", "TiauthStack", "UserServerCommands", "start_stack"]
