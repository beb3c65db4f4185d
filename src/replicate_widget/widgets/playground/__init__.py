"""The Playground: a form for any model, built from its schema."""
