"""Performance benchmarks: a seeded data generator, the page query table and the runner (`python -m bench.run`)."""
