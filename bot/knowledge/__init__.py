"""The knowledge base: schemas, loading with line-accurate errors, and checks."""
