"""UI room: desk."""
