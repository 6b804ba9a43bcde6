"""The Telegram adapter: python-telegram-bot wiring (``adapter``), update translation
(``handlers``), reply layout (``view``, ``keyboards``) and careful sending (``delivery``)."""
