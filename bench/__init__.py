"""Load and fault benchmarks (run as scripts: python bench/load.py, python bench/faults.py)."""
