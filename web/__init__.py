"""The HTTP edge: what reaches the schema, in what shape, and how its answers go back."""
