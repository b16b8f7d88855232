"""Every accounts test forgets the sign-in log rows it wrote (see support.py)."""

from tests.accounts.support import account, forget_sign_ins, names  # noqa: F401 - fixtures
