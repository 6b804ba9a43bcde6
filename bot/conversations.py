"""The ``Conversations`` service: lock, load, step, save, reply.

Rules:
- One turn = take the per-person lock, load the state, run the pure engine, let the
  adapter ``render`` the replies into the messages it will send, commit the new state with
  its answer writes and those messages (the outbox, ``bot.outbox`` delivers them), and only
  then return. A reply is never shown for a turn that is not durable, and a durable turn
  always owes its replies, even across a crash.
- A turn that makes no change writes only the messages it owes (a /help answer), so they
  keep their place in the person's order.
- A ``VersionConflict`` (another process saved the session meanwhile) re-runs the turn on
  the fresh state; the engine decides what the event means there. Typed words are pinned
  to the turn of the question they answered first, so they never count for another one:
  the person sees the current question again instead.
- A session written against content that has been edited since is migrated on load
  (``dialogs.edits``), the person is told in one line what changed, and the migrated
  session is saved with the turn. A stored row that cannot be read restarts that
  person's session with a notice to them and one warning in the log naming the key.
- Recently saved sessions are served from a write-through cache (``bot.cache``), so a busy
  turn costs no read from the file; the version check keeps that safe. Not when other
  processes share the store (``store.shared``, PostgreSQL): a turn that changes nothing is
  not version-checked, so a cached state another process has moved past would answer a
  press against the wrong question. There every turn reads the session and the language.
- ``/forget`` goes through here too, under the same lock; it erases the chosen language.
- Every turn is spoken in the person's language (``bot.language``: their choice, else the
  platform's hint, else the default) and the rest of the caller's task speaks it too
  (``dialogs.i18n.speak``), so an adapter lays the replies out in the same language.
  ``choose_language`` keeps a choice and shows the current question again in it; answers
  are ids, so they are all kept.
- A database that stays busy past the busy timeout, or a full disk, does not end the
  process: the turn is answered with one line saying it was not saved and to try again
  (``Turn.saved`` is False), so every adapter tells the person the same thing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace

from bot.cache import SessionCache
from bot.language import hinted, negotiate
from bot.locks import KeyedLocks
from dialogs.content import Dialog
from dialogs.edits import migrate
from dialogs.engine import new_state, step
from dialogs.events import Event, FreeText, Resume, Start
from dialogs.i18n import Catalog, messages, speak
from dialogs.replies import Reply, Text
from dialogs.state import SessionState
from storage.contract import Store
from storage.keys import SessionKey
from storage.outbox import Owed
from storage.sessions import Loaded, StorageUnavailable, VersionConflict

_CONFLICT_RETRIES = 3
_LANGUAGES_KEPT = 50_000  # chosen languages remembered in memory; past that, read again
_UNREAD = "?"  # not a language code: the person's choice has not been read yet
# An adapter's renderer: the engine's replies as the messages it owes the person.
Render = Callable[[tuple[Reply, ...]], Awaitable[tuple[Owed, ...]]]
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Resolved:
    """A loaded session as the current content reads it, ready for a step."""

    dialog: Dialog
    state: SessionState
    version: int
    notice: Text | None = None  # said before the step's replies (the content changed)
    changed: bool = False  # differs from the stored row (migrated, restarted): save it
    damaged: str | None = None  # why the stored row was unreadable; the session restarts


@dataclass(frozen=True, slots=True)
class Turn:
    replies: tuple[Reply, ...]
    state: SessionState
    dialog: Dialog
    saved: bool = True  # False: the database was unavailable and nothing was recorded
    owed: tuple[Owed, ...] = ()  # the rendered replies: committed if saved, else to send now


class Conversations:
    def __init__(
        self,
        store: Store,
        dialogs: Mapping[str, Dialog],
        default_dialog: str,
        cache_capacity: int = SessionCache.DEFAULT_CAPACITY,
    ) -> None:
        if default_dialog not in dialogs:
            raise ValueError(f"default dialog {default_dialog!r} is not among {sorted(dialogs)}")
        self.store = store
        self.dialogs = dict(dialogs)
        self.default_dialog = default_dialog
        self._locks = KeyedLocks()
        self._cache = SessionCache(0 if store.shared else cache_capacity)
        self._chosen: dict[tuple[str, str], str | None] = {}  # (platform, user): their choice
        self._shared = store.shared
        self._default_language = self.dialogs[default_dialog].language
        self._languages = tuple(sorted(self.dialogs[default_dialog].translations))
        self._catalogs = {language: self.catalog(language) for language in self._languages}
        self._remembered: set[str] = set()  # fingerprints the store has been asked to keep

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages every dialog speaks, by code."""
        return self._languages

    @property
    def default_language(self) -> str:
        return self.dialogs[self.default_dialog].language

    def catalog(self, language: str) -> Catalog:
        return self.dialogs[self.default_dialog].in_language(language).messages

    async def language_for(self, key: SessionKey, hint: str | None = None) -> str:
        """The person's choice, else the platform's hint if loaded, else the default."""
        person = (key.platform, key.user)
        if self.store.shared:  # another process may have changed it
            self._chosen.pop(person, None)
        if person not in self._chosen:
            if len(self._chosen) >= _LANGUAGES_KEPT:
                self._chosen.clear()
            self._chosen[person] = await self.store.language(key.platform, key.user)
        return self._spoken(self._chosen[person], hint)

    def _spoken(self, chosen: str | None, hint: str | None) -> str:
        if chosen is not None and chosen in self._languages:
            return chosen
        hint = hint or hinted()
        return (negotiate(hint, self._languages) if hint else None) or self._default_language

    async def speak_to(self, key: SessionKey, hint: str | None = None) -> str:
        """Speak the person's language for the rest of this task (words said outside a turn)."""
        language = self._known_language(key, hint) or await self.language_for(key, hint)
        speak(self._catalogs.get(language) or self.catalog(language))
        return language

    def _known_language(self, key: SessionKey, hint: str | None) -> str | None:
        """``language_for`` when it needs no read (the person's choice is in memory), else None."""
        if self._shared:
            return None
        chosen = self._chosen.get((key.platform, key.user), _UNREAD)
        return None if chosen is _UNREAD else self._spoken(chosen, hint)

    async def remember_language(self, key: SessionKey, language: str) -> None:
        """Keep ``language`` as this person's choice on this platform."""
        async with self._locks.hold(key):
            await self.store.choose_language(key.platform, key.user, language)
            self._chosen[(key.platform, key.user)] = language

    async def choose_language(self, key: SessionKey, language: str, render: Render | None = None) -> Turn:
        """Keep ``language`` as this person's on this platform and show where they are in it."""
        await self.remember_language(key, language)
        render = render or _nothing
        said: list[Reply] = []

        async def with_notice(replies: tuple[Reply, ...]) -> tuple[Owed, ...]:
            said[:] = (Text(messages.LANGUAGE_SET), *replies)
            return await render(tuple(said))

        turn = await self.handle(key, Resume(), with_notice)
        return replace(turn, replies=tuple(said) or turn.replies)

    async def handle(
        self, key: SessionKey, event: Event, render: Render | None = None, hint: str | None = None
    ) -> Turn:
        """Run one turn; with ``render``, the messages it renders are committed with it;
        ``hint`` is the language the platform says the person uses, if it says one."""
        render = render or _nothing
        language = self._known_language(key, hint) or await self.language_for(key, hint)
        speak(self._catalogs.get(language) or self.catalog(language))
        wanted = event.dialog if isinstance(event, Start) else None
        try:
            if wanted is not None and wanted not in self.dialogs:
                return await self._unknown_dialog(key, wanted, render, language)
            # The turn itself, here rather than in a method of its own: every turn of every
            # person runs it, and a coroutine less per turn is CPU saved.
            async with self._locks.hold(key):
                for attempt in range(_CONFLICT_RETRIES):
                    at = self._cached(key, wanted, language)
                    if at is None:
                        at = await self._resolve(await self.store.load(key, wanted), wanted, language)
                    result = step(at.dialog, at.state, Start() if at.damaged else event)
                    replies = result.replies if at.notice is None else (at.notice, *result.replies)
                    owed = () if render is _nothing else await render(replies)
                    if not result.writes and not at.changed and result.state == at.state:
                        if owed:
                            await self.store.owe(key, owed)
                        return Turn(replies, result.state, at.dialog, owed=owed)
                    if at.dialog.fingerprint not in self._remembered:
                        await self.store.remember(at.dialog)
                        self._remembered.add(at.dialog.fingerprint)
                    try:
                        saved = await self.store.commit_turn(
                            key, at.version, result.state, result.writes, owed
                        )
                    except VersionConflict:
                        self._cache.drop(key)
                        if attempt == _CONFLICT_RETRIES - 1:
                            raise
                        # Typed words answered the question this attempt showed; on the fresh
                        # state they must not count for another one (the engine says so).
                        if isinstance(event, FreeText) and event.turn is None:
                            event = replace(event, turn=at.state.turn)
                        continue
                    if at.damaged:
                        log.warning(
                            "the stored session %s/%s/%s could not be read (%s); it started again",
                            key.platform,
                            key.chat,
                            key.user,
                            at.damaged,
                        )
                    self._cache.put(key, Loaded(result.state, saved))
                    return Turn(replies, result.state, at.dialog, owed=owed)
            raise AssertionError("unreachable")  # the loop returns or raises
        except StorageUnavailable as exc:
            log.warning("a turn was not saved, the person was asked to try again: %s", exc)
            dialog = self.dialogs[self.default_dialog].in_language(language)
            replies = (Text(messages.NOT_SAVED),)
            return Turn(replies, SessionState(dialog.id), dialog, saved=False, owed=await render(replies))

    async def _unknown_dialog(self, key: SessionKey, wanted: str, render: Render, language: str) -> Turn:
        """/start of a dialog that is not loaded: say which ones are."""
        text = messages.UNKNOWN_DIALOG.format(dialog=wanted, known=", ".join(sorted(self.dialogs)))
        replies: tuple[Reply, ...] = (Text(text),)
        async with self._locks.hold(key):
            owed = await render(replies)
            await self.store.owe(key, owed)
        dialog = self.dialogs[self.default_dialog].in_language(language)
        return Turn(replies, SessionState(dialog.id), dialog, owed=owed)

    async def current(self, key: SessionKey) -> Turn | None:
        """The person's latest session as it stands, without running a turn."""
        loaded = self._cache.get(key, None) or await self.store.load(key, None)
        if loaded is None:
            return None
        at = await self._resolve(loaded, None, await self.language_for(key))
        return Turn((), at.state, at.dialog)

    async def forget(self, key: SessionKey) -> int:
        """Erase everything stored about this person on this platform."""
        async with self._locks.hold(key):
            self._cache.drop_person(key.platform, key.user)
            self._chosen.pop((key.platform, key.user), None)
            return await self.store.forget(key.platform, key.user)

    def drop_cached(self) -> None:
        """Forget every cached session (after rows were erased behind the cache's back)."""
        self._cache = SessionCache(self._cache.capacity)
        self._chosen.clear()

    def _cached(self, key: SessionKey, wanted: str | None, language: str) -> _Resolved | None:
        """The session as this process last saved it, if cached and written against the
        current content: the engine made it from a checked state, so it is not checked
        again (``_resolve`` checks what comes from the store)."""
        loaded = self._cache.get(key, wanted)
        if loaded is None:
            return None
        dialog = self.dialogs.get(loaded.state.dialog)
        if dialog is None or loaded.state.content_hash != dialog.fingerprint:
            return None
        return _Resolved(dialog.in_language(language), loaded.state, loaded.version)

    async def _resolve(self, loaded: Loaded | None, wanted: str | None, language: str) -> _Resolved:
        """``loaded`` as the current content reads it, in ``language``."""
        if loaded is None:
            dialog = self.dialogs[wanted or self.default_dialog]
            return _Resolved(dialog.in_language(language), new_state(dialog), 0)
        dialog_or_none = self.dialogs.get(loaded.state.dialog)
        if dialog_or_none is None:
            # The dialog this session was written against is gone: start the default dialog
            # afresh rather than guess. The old row stays until /forget.
            dialog = self.dialogs[self.default_dialog]
            version = loaded.version if dialog.id == loaded.state.dialog else 0
            return _Resolved(dialog.in_language(language), new_state(dialog), version)
        dialog = dialog_or_none
        spoken = dialog.in_language(language)
        damaged = loaded.damaged
        if damaged is None:
            stamp = loaded.state.content_hash
            before = None if stamp == dialog.fingerprint else await self.store.structure(stamp)
            migrated = migrate(dialog, loaded.state, before)
            damaged = migrated.damaged
        if damaged is not None:
            fresh = replace(new_state(dialog), turn=loaded.state.turn)
            return _Resolved(spoken, fresh, loaded.version, Text(messages.DAMAGED_RESTARTED), True, damaged)
        notice = None if migrated.notice is None else Text(migrated.notice)
        return _Resolved(spoken, migrated.state, loaded.version, notice, migrated.state != loaded.state)


async def _nothing(_replies: tuple[Reply, ...]) -> tuple[Owed, ...]:
    """The renderer of a door that shows replies itself (the terminal chat)."""
    return ()
