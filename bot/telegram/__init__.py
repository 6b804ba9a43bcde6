"""The Telegram adapter: python-telegram-bot wiring (``adapter``), update translation
(``handlers`` for personal conversations, ``workshop`` for group workshops), reply layout
(``view``, ``keyboards``, ``workshop_view``) and careful sending (``delivery``)."""
