"""The bot's logic, one function per command or button, free of Telegram: each takes the
resources (`Deps`) and who is asking (`Who`) and returns the replies to send (`Out`).
"""
