"""The window's four pages. They observe state objects; they never start threads."""
