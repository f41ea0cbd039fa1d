"""The only code that starts threads: it creates the workers and wires them to the state objects."""
