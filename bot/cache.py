"""A bounded, write-through cache of recently used sessions.

Rules:
- The cache is a copy of what is committed, never ahead of it: an entry is stored only
  after its turn's commit returned, so a crash cannot leave the cache claiming more than
  the file holds (and the cache dies with the process anyway).
- It saves the load of a session that this process saved recently. If another process
  wrote the same session meanwhile, the optimistic ``version`` check refuses our next
  commit; the service then drops the entry and retries on a fresh load.
- Least recently used entries are evicted past ``capacity``; ``/forget`` evicts a person.
"""

from __future__ import annotations

from collections import OrderedDict

from storage.keys import SessionKey
from storage.sessions import Loaded


class SessionCache:
    DEFAULT_CAPACITY = 10_000

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        # (key, dialog or None) -> Loaded; None stands for "the person's latest session".
        self._entries: OrderedDict[tuple[SessionKey, str | None], Loaded] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: SessionKey, dialog: str | None) -> Loaded | None:
        entry = self._entries.get((key, dialog))
        if entry is not None:
            self._entries.move_to_end((key, dialog))
        return entry

    def put(self, key: SessionKey, loaded: Loaded) -> None:
        for slot in ((key, loaded.state.dialog), (key, None)):
            self._entries[slot] = loaded
            self._entries.move_to_end(slot)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def drop(self, key: SessionKey) -> None:
        for slot in [slot for slot in self._entries if slot[0] == key]:
            del self._entries[slot]

    def drop_person(self, platform: str, user: str) -> None:
        for slot in [s for s in self._entries if s[0].platform == platform and s[0].user == user]:
            del self._entries[slot]
