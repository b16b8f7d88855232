"""A realistic, seeded simulation of a gaming-club chain for demos, tests and benchmarks."""
