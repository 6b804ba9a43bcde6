"""The careerbot benchmark (issue 6): ``python -m bench`` runs every part and prints a table.

Parts, each in its own module:
- ``core``: the ``Conversations`` service on a real SQLite file, and the sqlite3 floor;
- ``telegram``: python-telegram-bot's documented way (``ConversationHandler`` with
  ``PicklePersistence``) against our adapter, both through ``Application.process_update``
  with an in-process Bot API (``fakeapi``);
- ``crash``: acknowledged answers lost when the bot process is killed with SIGKILL;
- ``workshop``: a group of voters pressing at the same instant;
- ``memory``: idle RSS with many stored sessions;
- ``startup``: time from ``careerbot chat`` to its first question.

The benchmark is not a test: nothing here asserts a time. ``tests/test_bench_smoke.py``
runs it small to keep it from rotting.
"""
