"""Demo models: real Cog predictors, each in its own folder with a hand-written Cog-shaped schema."""
