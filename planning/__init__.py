"""The closed loop that uses both engines: response curves, plan, clerks, check, what-if."""
