"""UI room: practice."""
