"""Model backends behind one model-spec string (see specs.py)."""
