"""Everything that leaves the process: terminal tables, JSON, files written atomically."""
