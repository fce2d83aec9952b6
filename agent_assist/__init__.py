"""Agent Assist: an offline desktop assistant for call-center agents."""

from importlib.metadata import PackageNotFoundError, version

APP_ID = "agent-assist"
APP_NAME = "Agent Assist"
ORG_NAME = "AgentAssist"

try:
    __version__ = version("agent-assist")
except PackageNotFoundError:  # running from a source tree that was never installed (or frozen)
    __version__ = "0.1.0"
