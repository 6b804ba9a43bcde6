"""The Discord adapter: ``/career`` slash commands, buttons and a modal, in servers and DMs.

Rules:
- It only translates: an interaction becomes an ``Event`` for ``Conversations``, and the
  replies become messages and buttons. It never touches a session's state itself.
- Every interaction is acknowledged first (a defer, a modal or an instant reply), before
  any database work, so Discord's 3-second limit is always met.
- Button and modal state lives in the ``custom_id`` only, so they work after a restart.
"""
