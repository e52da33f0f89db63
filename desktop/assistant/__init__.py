"""The assistant over documents: summaries (summarize.py) and grounded answers with citations (ask.py).

Both talk to a language model only through `chat_model.ChatModel` (count tokens, generate), so the
tests drive them with a scripted stand-in and the CLI with the native generation session.
"""
