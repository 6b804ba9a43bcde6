"""The pure core: dialog content, its loader, and the conversation engines.

Nothing in this package does I/O beyond reading content files at load time; it imports
no asyncio, telegram, discord or aiosqlite (a test checks).
"""
