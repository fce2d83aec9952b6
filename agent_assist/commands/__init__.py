"""Headless commands: each module has ``run(args) -> int``."""
