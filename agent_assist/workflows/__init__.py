"""Application workflows that combine layers below the UI (store + coach + audio + voice).

The UI and the CLI both call these, so a demo database, a recorded call or a practice attempt is made by
the same code whether it comes from the window or the terminal.
"""
