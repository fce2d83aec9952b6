"""UI room: review."""
