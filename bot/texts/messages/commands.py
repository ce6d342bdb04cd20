"""The command menus (setMyCommands): a description per command, at most 256 characters."""

from __future__ import annotations

from bot.texts.registry import Message, _msg

MESSAGES: tuple[Message, ...] = (
    _msg("commands.start", "Agree to the terms and begin"),
    _msg("commands.profile", "Whom the photos are of"),
    _msg("commands.history", "Your past results"),
    _msg("commands.language", "Change the language"),
    _msg("commands.delete", "Erase all your data"),
    _msg("commands.help", "How to use this bot"),
    _msg("commands.pending", "Open cases of your team"),
    _msg("commands.case", "Show one case: /case CODE"),
    _msg("commands.contacted", "Mark a case contacted: /contacted CODE [note]"),
    _msg("commands.decline", "The person declined: /decline CODE REASON"),
    _msg("commands.note", "Add a note to a case: /note CODE TEXT"),
    _msg("commands.take", "Take a case for yourself: /take CODE"),
    _msg("commands.message", "Write to the person: /message CODE TEXT"),
    _msg("commands.resolve", "Close a case: /resolve CODE LAB_HB [YYYY-MM-DD] [note]"),
    _msg("commands.stats", "Your team's figures"),
    _msg("commands.web", "A sign-in link to the dashboard"),
    _msg("commands.invite", "Make an invite code (admins)"),
    _msg("commands.workers", "Your team's workers (admins)"),
    _msg("commands.revoke", "Take a worker's access away: /revoke N (admins)"),
)
