"""Agent Assist: an offline desktop assistant for call-center agents."""

# The one place the version is written: the wheel's metadata (pyproject.toml reads it from here), the
# bundle, the installer and ``--version`` all take it from this line.
__version__ = "0.2.0"

APP_ID = "agent-assist"
APP_NAME = "Agent Assist"
ORG_NAME = "AgentAssist"
