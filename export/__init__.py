"""Everything that leaves the process: tables for the terminal, JSON, and files written atomically."""
