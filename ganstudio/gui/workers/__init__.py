"""QThread workers: QtCore and pure modules only, so nothing here can touch a widget."""
