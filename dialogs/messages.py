"""Every sentence the engines say that is not dialog content.

Rules:
- Text a person reads lives here or in the dialog YAML, never inline in engine code.
- Templates use ``str.format`` fields named after what they hold.
- A sentence about a count is a ``Plural`` (English: one, other), so each language gives
  as many forms as its plural rule has.
"""

from __future__ import annotations

from dialogs.plurals import Plural

WELCOME_BACK = 'Welcome back to "{title}"! You have answered {answered} of {total} questions; here is question {position}. Carry on below, or start over.'
QUESTION_PROGRESS = "Question {position} of {total}"
FINISHED_ALREADY = (
    'You have already finished "{title}". Here is your profile again; you can start over at any time.'
)
RESTARTED = "Starting again from the beginning; your earlier answers are cleared."
NOT_STARTED = "We have not started yet. Send /start to begin."
STALE_CHOICE = (
    "That button belongs to an earlier question, so I did not record it. Here is where you are now:"
)
ALREADY_ANSWERED = "You have already answered this question. To change your answer, go /back to it."
DONE_TEXT = "You have finished this conversation. Send /summary to see your profile again, or /restart to start over."
STALE_AFTER_DONE = "You have finished this conversation, so that button no longer records anything. Send /summary to see your profile or /restart to start over."
UNKNOWN_CHOICE = "That is not one of the choices for this question. Here it is again:"
FIRST_MISS = (
    "I did not quite catch that. Answer with a number from 1 to {count}, or a few words from a choice."
)
SECOND_MISS = "Let me spell the choices out. Reply with one of these numbers: {listing}"
AMBIGUOUS = (
    "That could mean more than one choice ({labels}). Which one? A number from 1 to {count} is easiest."
)
AT_FIRST_QUESTION = "This is already the first question."
BACK_TO_LAST = "Going back to the last question; your answer will replace the earlier one."
NOTHING_TO_SKIP = "There is no question to skip: you have finished. Send /restart to start over."
WHY_HEADING = "Why this matters: {why}"
WHY_WHEN_DONE = (
    'Every question has a "why"; send /restart to go through them again, or /summary for your profile.'
)
SKIPPED = 'Skipped "{title}".'
UNKNOWN_COMMAND = "I do not know the command {command}. Send /help to see what I understand."
SUMMARY_SO_FAR = "Your answers so far ({answered} of {total}):"
SUMMARY_NOTHING_YET = "You have not answered any question yet."
SUMMARY_REMAINING = Plural(
    ("1 question to go; your profile comes at the end.", "{remaining} questions to go; your profile comes at the end.")
)
# The profile's headline, by the lean that won and how many answers share it: some of them
# (by that count's plural form), all of them, or the only one.
HEADLINE_COUNTS = {
    "job": Plural(
        ("1 of your {answered} answers leans towards a job.", "{count} of your {answered} answers lean towards a job.")
    ),
    "mixed": Plural(
        (
            "1 of your {answered} answers sits between a job and a career.",
            "{count} of your {answered} answers sit between a job and a career.",
        )
    ),
    "career": Plural(
        (
            "1 of your {answered} answers leans towards a career.",
            "{count} of your {answered} answers lean towards a career.",
        )
    ),
}
HEADLINES = {
    "job-all": "All {answered} of your answers lean towards a job.",
    "job-only": "Your one answer leans towards a job.",
    "mixed-all": "All {answered} of your answers sit between a job and a career.",
    "mixed-only": "Your one answer sits between a job and a career.",
    "career-all": "All {answered} of your answers lean towards a career.",
    "career-only": "Your one answer leans towards a career.",
}
HEADLINE_SPLIT = "Your {answered} answers are split evenly between the job side and the career side."
HEADLINE_SKIPPED = Plural(("You skipped one question.", "You skipped {skipped} questions."))
# How a profile line names an answer's lean.
PROFILE_LEANS = {"job": "leans towards a job", "mixed": "in between", "career": "leans towards a career"}
LOOK_NEXT_HEADING = "Where to look if you want more from your work one day:"
# The two sides of every explanation.
EXPLAIN_SIDES = {"job": "In a job", "career": "In a career"}
CONFIRM_READ = 'I read that as "{label}". Is that right?'
CONFIRM_SKIP = "It sounds as if you are not sure, and that is fine. Would you like to skip this question? You can come back to it later with /back."
CONFIRM_SKIP_AFTER_MISSES = "I still cannot match that to one of the choices. Would you like to skip this question for now?"
CONFIRM_AGAIN = "Then which one fits best? Choose below, or answer with a number."
CONFIRM_STALE = "That question about your answer is no longer open, so nothing was recorded. Here is where you are now:"
# Button labels for a confirmation, by whether it confirms a reading or offers a skip.
CONFIRM_BUTTONS = {"yes": "Yes", "no": "Choose again", "skip-yes": "Yes, skip it", "skip-no": "No, let me answer"}
# Typed answers to a confirmation (any case, surrounding punctuation ignored).
CONFIRM_YES_WORDS = ("y", "yes", "yeah", "yep", "yup", "right", "correct", "ok", "okay", "sure", "that's right")
CONFIRM_NO_WORDS = ("n", "no", "nope", "nah", "wrong", "not really", "choose again")
SKIPPED_ANSWER = "skipped"
NO_ANSWERS = "You skipped every question, so there is no profile to draw yet. Send /restart whenever you would like to try again."
EMPTY_TEXT = "Your message was empty. Answer with a number or a few words."
TERMINAL_CONFIRM_HINT = "(y = yes, n = no)"
TERMINAL_QUIT_HINT = "/quit"
CHART_SAVED = "A picture of your profile is saved in {path}"
CHART_FAILED = "I could not save the picture of your profile ({reason}); your answers are safe."
_HELP_ABOUT = (
    "I ask one question about each difference between a job and a career, explain the "
    "difference, and end with a profile of your answers.\n"
)
_HELP_COMMANDS = (
    "/start: begin, or carry on where you stopped\n"
    "/resume: show the current question again\n"
    "/back: go back one question\n"
    "/skip: skip this question\n"
    "/why: why this question matters\n"
    "/summary: your answers so far\n"
    "/restart: start over\n"
    "/language: choose the language I speak\n"
    "/mydata: everything stored about you, with a button to erase it\n"
    "/forget: erase everything stored about you\n"
    "/help: this message"
)
HELP = _HELP_ABOUT + "Answer with the buttons, a number, or a few words. Commands:\n" + _HELP_COMMANDS
# The terminal has no buttons, and one more command.
TERMINAL_HELP = (
    _HELP_ABOUT
    + "Answer with the number of a choice, or a few words. Commands:\n"
    + _HELP_COMMANDS
    + "\n/quit: leave (your answers are kept)"
)
LEAN_NAMES = {"job": "job", "mixed": "in between", "career": "career"}
UNKNOWN_DIALOG = 'There is no conversation called "{dialog}". I know: {known}.'
FORGET_CONFIRM = "This erases every answer you have given me here, for good. Are you sure?"
FORGOTTEN = "Done: everything I stored about you is erased."
FORGET_CANCELLED = "Nothing was erased."
GOODBYE = "Goodbye! Your answers are saved; run me again to carry on."
GOODBYE_NOTHING_STORED = "Goodbye! Nothing about you is stored here now."
# A session written against content a counsellor has edited since (dialogs.edits):
# one line, "<EDITED_PARTS>" built from the parts that apply, in this order.
EDITED = "The questions changed since your last visit."
EDITED_PARTS = "The questions changed since your last visit: {parts}."
EDITED_NEW = Plural(("one is new", "{count} are new"))
EDITED_DROPPED = Plural(("one you answered was removed", "{count} you answered were removed"))
EDITED_REASKED = Plural(
    (
        "one you answered has new choices, so I ask it again",
        "{count} you answered have new choices, so I ask them again",
    )
)
EDITED_GONE = Plural(("one you had not reached was removed", "{count} you had not reached were removed"))
EDITED_ALL_KEPT = "your answers are kept"
EDITED_OTHERS_KEPT = "your other answers are kept"
# The same for a running workshop, said to the whole group.
WORKSHOP_EDITED = "The questions of this workshop changed since it began."
WORKSHOP_EDITED_PARTS = "The questions of this workshop changed since it began: {parts}."
WORKSHOP_EDITED_CURRENT = "the current one was removed, so the group moves on"
WORKSHOP_EDITED_DROPPED = Plural(("one the group answered was removed", "{count} the group answered were removed"))
WORKSHOP_EDITED_GONE = Plural(("one not asked yet was removed", "{count} not asked yet were removed"))
WORKSHOP_EDITED_KEPT = "the group's answers so far are kept"
DAMAGED_RESTARTED = "I could not read where you were in this conversation, so we are starting again from the beginning. Sorry about that."
STALE_TEXT = "That answer was for an earlier question, so I did not record it. Here is where you are now:"
NOT_SAVED = "Sorry, I could not save that just now, so nothing was recorded. Please try again in a moment."

# --- Telegram adapter (bot/telegram/) ---------------------------------------------------
# Button labels, keyed by the ``Action`` value or button kind they stand for.
TELEGRAM_BUTTONS = {
    "resume": "▶ Carry on",
    "restart": "↺ Start over",
    "back": "◀ Back",
    "skip": "Skip ▶",
    "why": "Why?",
    "summary": "My answers",
    "forget-yes": "Yes, erase it",
    "forget-no": "No, keep it",
}
# The command menu Telegram shows (setMyCommands); descriptions are at most 256 characters.
TELEGRAM_COMMANDS = {
    "start": "Begin, or carry on where you stopped",
    "resume": "Show the current question again",
    "back": "Go back one question",
    "skip": "Skip this question",
    "why": "Why this question matters",
    "summary": "Your answers so far",
    "restart": "Start over",
    "language": "Choose the language I speak",
    "mydata": "See everything stored about you",
    "forget": "Erase everything stored about you",
    "help": "What I do and how to answer",
}
BUTTON_EXPIRED = "This button has expired. Send /resume to see your current question."
FOREIGN_BUTTON = "This is {name}'s question — send /start to begin your own."
FOREIGN_BUTTON_UNNAMED = "This is someone else's question — send /start to begin your own."

# --- workshops (dialogs/workshop.py) ---
WORKSHOP_LEAD = "You are leading this workshop. When enough people have answered, reveal the results; then move on to the next question. You can end the workshop at any time."
WORKSHOP_RUNNING = 'Workshop {number} ("{title}") is still running here, at question {position} of {total}. Do you want to end it and start a new one?'
WORKSHOP_RUNNING_REFUSED = "A workshop is already running here. Only its facilitator or a group admin can end it or start another one."
WORKSHOP_REPLACED = "Workshop {number} has been ended; a new one starts now."
WORKSHOP_NONE = "No workshop is running here. Start one with /workshop."
WORKSHOP_ONLY_STEERER = "Only the facilitator of this workshop or a group admin can do that. Your own answers still count: just press a button."
WORKSHOP_ALREADY_REVEALED = "The answers to this question are already shown. Move on to the next question, or end the workshop."
WORKSHOP_ENDED = "Workshop {number} is over. Thank you all for taking part!"
WORKSHOP_CONTENT_GONE = "The questions of this workshop are no longer available, so it has ended. Start a new one with /workshop."
WORKSHOP_DAMAGED = "I could not read where the workshop here was, so it has ended. Start a new one with /workshop. Sorry about that."
WORKSHOP_GROUP_HEADING = 'How the group leans on "{title}" ({revealed} of {total} questions):'
WORKSHOP_GROUP_NO_VOTES = "Nobody answered, so there is no group profile to draw."
WORKSHOP_PROFILE_OFFER = "Would you like your own profile from this workshop? Only you will see it."
WORKSHOP_MEMBER_HEADING = "Your answers in workshop {number} ({answered} of {total} questions):"
WORKSHOP_MEMBER_NO_VOTES = "You did not answer any question in this workshop, so there is no profile to show."
VOTE_RECORDED = 'Your answer: "{label}". You can change it until the results are shown.'
VOTE_CLOSED = "That question is closed, so your answer was not recorded. Please answer the current one."
VOTE_AFTER_REVEAL = "The answers to this question have already been shown, so that was not recorded. The next question is coming."
VOTE_OLD_WORKSHOP = "That button belongs to an earlier workshop, so nothing was recorded."
VOTE_NO_WORKSHOP = "No workshop is running here, so nothing was recorded."
VOTE_UNKNOWN_CHOICE = "That is not one of the choices, so nothing was recorded."
VOTE_COUNT_NONE = "Nobody has answered yet."
VOTE_COUNT = Plural(("1 person has answered.", "{voters} people have answered."))

# Discord adapter (bot/discord/). Button labels are at most 80 characters; a modal's title
# and an input's label at most 45; command descriptions at most 100.
DISCORD_ACTION_LABELS = {
    "resume": "Carry on",
    "restart": "Start over",
    "back": "Back",
    "skip": "Skip",
    "why": "Why this question?",
    "summary": "My answers so far",
}
DISCORD_OWN_WORDS_BUTTON = "Answer in my own words"
DISCORD_OWN_WORDS_TITLE = "Your answer, in your own words"
DISCORD_OWN_WORDS_LABEL = "Your answer"
DISCORD_OWN_WORDS_PLACEHOLDER = "A few words, or the number of a choice"
DISCORD_FORGET_YES = "Yes, erase everything"
DISCORD_FORGET_NO = "No, keep my answers"
DISCORD_FOREIGN_BUTTON = "This is {owner}'s session. Use /career start to begin your own."
DISCORD_EXPIRED_BUTTON = "That button no longer works. Use /career resume to see where you are."
DISCORD_FAILED = "Something went wrong on my side. Please try again in a moment."
DISCORD_LANGUAGE_OPTION = "The language to speak (leave it out to see the choices)"
DISCORD_COMMAND_GROUP = "Is your work a job or a career? A short guided conversation."
DISCORD_DIALOG_OPTION = "Which conversation to have (the default if left out)"
DISCORD_COMMANDS = {
    "start": "Begin the conversation, or carry on where you stopped",
    "resume": "Show the current question again",
    "back": "Go back one question",
    "skip": "Skip this question",
    "restart": "Start over from the first question",
    "summary": "See your answers so far",
    "why": "Why this question matters",
    "help": "What this bot does and how to use it",
    "language": "Choose the language I speak",
    "mydata": "See everything stored about you (only you see it)",
    "forget": "Erase everything stored about you",
}
WORKSHOP_WHY = "Why it matters: {why}"
WORKSHOP_ROW_VOTERS = "{lean}, {voters} answered"
WORKSHOP_ROW_NOBODY = "nobody answered"
WORKSHOP_LEAN_COUNTS = "Questions where most of the group leaned {lean}: {count}"

# --- Discord workshops (bot/discord/workshop_*.py). Descriptions at most 100 characters,
# button labels at most 80.
DISCORD_WORKSHOP_GROUP = "Run a workshop: the whole channel answers the questions together."
DISCORD_WORKSHOP_COMMANDS = {
    "start": "Start a workshop in this channel, led by you",
    "reveal": "Show how the group answered the current question",
    "next": "Move on to the next question",
    "end": "End the workshop and show the group's profile",
}
DISCORD_WORKSHOP_LANGUAGE_OPTION = "The language the workshop speaks (yours if left out)"
DISCORD_WORKSHOP_DIALOG_OPTION = "Which conversation the workshop follows (the default if left out)"
DISCORD_WORKSHOP_GUILD_ONLY = "Workshops are for a whole group, so they run in server channels. Use /workshop start in a channel of your server; here, /career start begins your own conversation."
DISCORD_WORKSHOP_POSTED = "Done: it is posted in the channel."
DISCORD_WORKSHOP_REPLACE = "End it and start a new one"
DISCORD_WORKSHOP_KEEP = "Keep it running"
DISCORD_WORKSHOP_KEPT = "The running workshop carries on; nothing was changed."
DISCORD_WORKSHOP_PROFILE_BUTTON = "Show my profile"
DISCORD_WORKSHOP_CANNOT_POST = "I could not post in this channel. Please let me send messages here (the Send Messages permission) and try again."

# --- Telegram workshops (bot/telegram/workshop.py) -----------------------------------------
# Extra commands shown in groups' menus (setMyCommands, scope: all group chats).
TELEGRAM_WORKSHOP_COMMANDS = {
    "workshop": "Start a workshop for the whole group",
    "reveal": "Workshop: show how the group answered",
    "next": "Workshop: move on to the next question",
    "endworkshop": "Workshop: end it and show the group's profile",
}
TELEGRAM_WORKSHOP_BUTTONS = {
    "reveal": "📊 Reveal",
    "next": "Next ▶",
    "end": "■ End workshop",
    "replace": "Yes, end it and start a new one",
    "keep": "No, keep it running",
    "profile": "🔒 My own profile",
}
TELEGRAM_WORKSHOP_PRIVATE = (
    "Workshops are for groups: add me to a group and send /workshop there. "
    "Here, just send /start to have the conversation on your own."
)
TELEGRAM_WORKSHOP_KEPT = "The running workshop carries on; nothing was changed."
TELEGRAM_WORKSHOP_STALE_BUTTON = (
    "That button belongs to an earlier question or workshop, so nothing happened. Use the newest message."
)
TELEGRAM_WORKSHOP_BAD_LINK = (
    "That workshop link is not valid. Ask the facilitator for the link again, "
    "or send /start to begin your own conversation."
)

# --- layout words shared by every adapter (bot/render.py) ---------------------------------
EARLIER_ANSWER = "(your earlier answer: {label})"
TALLY_ANSWERED = " ({voters} answered)"

# --- free-text answers (dialogs/matching.py) ------------------------------------------------
# Words people type, not words the bot says; any case, apostrophes optional ("dont" = "don't").
# Typed on their own, they offer a skip instead of reading the text as a choice.
SKIP_WORDS = (
    "skip", "pass", "dunno", "i dunno", "idk", "idek", "no idea", "no clue", "not sure",
    "unsure", "i don't know", "don't know", "i do not know", "hard to say", "can't say", "no comment",
)
# A choice's word just after one of these is read as denied ("not long", "nothing changes").
NOT_WORDS = ("not", "never", "nothing", "don't", "doesn't", "isn't", "wasn't", "won't", "can't", "without")
# A short answer with one of these is qualified ("fixed, but ..."): confirm it, do not record it.
BUT_WORDS = ("but", "though", "although", "except", "however", "unless")

# --- the profile chart (bot/chart.py) -------------------------------------------------------
# The three points of every row's scale, left to right, and what a skipped row shows.
CHART_SCALE = ("Job", "In between", "Career")
CHART_SKIPPED = "skipped"
# A group chart's share of one lean, written inside its part of the bar.
CHART_SHARE = "{percent}"

# --- the counsellor's commands (careerbot stats, export, workshops, report) -----------------
STATS_FEWER = "fewer than {limit}"
STATS_NOTHING = "No conversations match."
STATS_TOO_FEW = "Fewer than {limit} people, so nothing more is shown."
STATS_DIALOG = "{title} ({dialog})"
STATS_STARTED = "Started: {started}   Finished: {finished}"
STATS_LEFT_MOST = "People most often stop at: {title}"
STATS_SKIPPED_MOST = "Skipped most: {title}"
STATS_NONE_MOST = "no question by {limit} or more people"
STATS_QUESTION = "{number}. {title}"
STATS_FUNNEL = "reached {reached}, answered {answered}, skipped {skipped}, stopped here {left}"
STATS_SHARE = "{label}: {people}"
STATS_PERCENT = "{people} ({percent})"
STATS_LEANS = "Leans: {leans}"
STATS_LEAN = "{label} {people}"
STATS_SMALL_GROUP_NOTE = 'Any group of fewer than {limit} people is shown as "fewer than {limit}".'
EXPORT_DONE = "Wrote {rows} answers to {path} (person ids are pseudonyms; language is the one each person chose, else {language})."
WORKSHOPS_NONE = "No workshops yet."
WORKSHOPS_LINE = "{id}  {platform}  workshop {number}  {dialog}  {phase}  opened {opened}  {participants} took part"
REPORT_SAVED = "Saved the chart of workshop {id} ({participants} took part) in {path}"
REPORT_UNKNOWN = "there is no workshop {id}, expected an id from careerbot workshops"
# careerbot check --db: what the dialogs being checked will do to the stored sessions.
CHECK_NONE_AFFECTED = "{dialog}: {stored} stored sessions, none affected by this content"
CHECK_AFFECTED = (
    "{dialog}: {stored} stored sessions, {affected} affected by this content: "
    "{kept} answers kept, {dropped} dropped, {reasked} to ask again; {new} questions new to them"
)
CHECK_DAMAGED = "{dialog}: {damaged} stored sessions cannot be read and will start again"
CHECK_GONE = "{dialog}: {stored} stored sessions, but no dialog has this id now: they start the default dialog afresh"

# --- /mydata: everything stored about the person (bot/mydata.py) ---------------------------
MYDATA_HEADING = "Everything I store about you on {platform}:"
MYDATA_NOTHING = "I store nothing about you on {platform}."
MYDATA_PLATFORMS = {"telegram": "Telegram", "discord": "Discord", "console": "this computer"}
MYDATA_SESSION = '"{title}" in {place}: {phase}, last changed {when}'
MYDATA_HERE = "this chat"
MYDATA_CHAT = "chat {chat}"
MYDATA_PHASES = {"new": "not started", "asking": "in progress", "done": "finished"}
MYDATA_ANSWER = "{title}: {answer} ({when})"
MYDATA_NO_ANSWERS = "no answers yet"
MYDATA_VOTES = "Your answers in workshops:"
MYDATA_VOTE = 'Workshop {number} in {place}, {title}: {answer} ({when})'
MYDATA_LED = "Workshop {number} in {place}: you opened it, so your id is kept as its facilitator ({when})"
_MYDATA_IDS = "To find these I keep your {platform} user id; never your name, username or what you type."
MYDATA_IDS = {
    "telegram": _MYDATA_IDS.format(platform="Telegram"),
    "discord": _MYDATA_IDS.format(platform="Discord"),
    "console": "To find these I keep the name you chat under (--user); nothing else about you.",
}
MYDATA_FORGET = "Erase all of it? This cannot be undone."
MYDATA_FORGET_TERMINAL = "Send /forget to erase all of it."
MYDATA_IN_PRIVATE = "I have sent what I store about you to our private chat, so nobody else here sees it."
MYDATA_OPEN_PRIVATE = "What I store about you is private, so I show it only in a private chat: open {link}, press Start, then send /mydata there."
# --- the person's language (/language; dialogs.i18n). A language's own name comes from Babel.
LANGUAGE_CHOOSE = "Which language shall I speak? Your answers are kept."
LANGUAGE_SET = "From now on I speak English with you."
LANGUAGE_UNKNOWN = 'I cannot speak "{language}" yet. I can speak: {known}.'
MYDATA_LANGUAGE = "The language you chose: {language}"
MYDATA_TIME = "%Y-%m-%d %H:%M UTC"

# --- the workshop report for its facilitator (bot/workshop_report.py) ------------------------
REPORT_TITLE = "Workshop {number}: {title}"
REPORT_ROW_VOTERS = "{voters} answered"
REPORT_ROW_NOBODY = "nobody answered"
REPORT_TEXT = Plural(
    (
        'Your report on workshop {number} ("{title}"): 1 person took part. '
        "The chart shows how they leaned on each question; the CSV has every answer's count.",
        'Your report on workshop {number} ("{title}"): {participants} people took part. '
        "The chart shows how the group leaned on each question; the CSV has every answer's count.",
    )
)
REPORT_LINK = "Your report on workshop {number} is ready. Telegram lets me write to you only once you have opened a chat with me: press the button to get it there."
REPORT_LINK_BUTTON = "📊 Get my workshop report"
REPORT_NOT_YOURS = "Only the facilitator of that workshop, or an admin of its group, can have its report."
REPORT_GONE = "That workshop is no longer stored, so there is no report to give."
CHECK_WORKSHOPS = "{dialog}: {workshops} running workshops, {workshops_affected} affected by this content (the group is told at the next step)"
CHECK_WORKSHOPS_DAMAGED = "{dialog}: {workshops_damaged} stored workshops cannot be read and will end at their next step"
