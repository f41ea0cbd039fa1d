"""The Qt desktop app: windows, panels, state objects and the threads that feed them.

Only this package imports PySide6 or pyqtgraph (see DESIGN.md, "Layers").
"""
