"""Natural language -> checked and tested program (see pipeline.py)."""
