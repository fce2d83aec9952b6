"""UI room: common."""
