"""The only code that starts threads: controllers create the workers and wire them to the state
objects (scan.py: data scans; training.py: the training thread; loading.py: runs and models read
off the GUI thread; explore.py: the explorer's render and export threads)."""
